/**
 * /admin: server-rendered staff pages. Sign-in is open; everything else sits behind a session
 * (a signed-out visitor is sent to the sign-in page) with CSRF checks on every POST.
 */
import { Hono } from "hono";
import type { AppEnv } from "../lib/env.ts";
import { accountPages } from "./account.pages.tsx";
import { requireSession } from "./admin-session.ts";
import { auditPages } from "./audit.pages.tsx";
import { casePages } from "./cases.pages.tsx";
import { formPages } from "./forms.pages.tsx";
import { loginRoutes } from "./login.routes.tsx";
import { settingsPages } from "./settings.pages.tsx";
import { userPages } from "./users.pages.tsx";

export const adminRoutes = new Hono<AppEnv>();

adminRoutes.route("/", loginRoutes);
adminRoutes.use("*", requireSession);
adminRoutes.route("/", casePages);
adminRoutes.route("/", formPages);
adminRoutes.route("/", userPages);
adminRoutes.route("/", settingsPages);
adminRoutes.route("/", accountPages);
adminRoutes.route("/", auditPages);
