/**
 * The admin CLI: bootstraps a deployment. Local D1 by default, the deployed one with --remote.
 *   npm run admin -- dept:create <slug> "<name>" [--origins https://a.gov.cn,https://b.gov.cn]
 *   npm run admin -- user:create <dept> <email> <role>     (prints a one-time password)
 *   npm run admin -- token:create <email> [--days 90]      (prints an API token once)
 * What a script needs (the password, the token) stands alone on the last line of standard output.
 */
import { hashPassword, randomSecret, sha256Hex } from "../functions/lib/crypto.ts";
import { builtinFormsSql, departmentSql, ROLES } from "./lib/bootstrap-sql.ts";
import { lit, runSql } from "./lib/d1.ts";

const args = process.argv.slice(2);
const remote = args.includes("--remote");
const option = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const positional = args.filter(
  (a, i) => !a.startsWith("--") && !(i > 0 && args[i - 1]!.startsWith("--") && args[i - 1] !== "--remote"),
);
const [command, ...rest] = positional;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const SLUG = /^[a-z0-9][a-z0-9-]{0,39}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

async function main() {
  switch (command) {
    case "dept:create": {
      const [slug, name] = rest;
      if (!slug || !SLUG.test(slug)) fail('usage: dept:create <slug> "<name>"   (slug: a-z, 0-9 and -)');
      if (!name) fail('usage: dept:create <slug> "<name>"');
      const origins = (option("--origins") ?? "").split(",").filter(Boolean);
      const bad = origins.find((o) => !/^https?:\/\/[a-z0-9.*-]+(:(\d+|\*))?$/i.test(o));
      if (bad) fail(`not an origin: ${bad} (e.g. https://www.example.gov.cn)`);
      const [existing] = runSql(`SELECT id FROM departments WHERE slug = ${lit(slug)};`, remote);
      if (existing?.length) fail(`department "${slug}" already exists`);
      const id = crypto.randomUUID();
      runSql(`${departmentSql(id, slug, name, origins)}\n${builtinFormsSql(slug)}`, remote);
      console.log(`created department ${slug} (${name}) with forms opinion, satisfaction, disclosure`);
      console.log(id);
      return;
    }
    case "user:create": {
      const [dept, emailRaw, role] = rest;
      const email = emailRaw?.toLowerCase();
      if (!dept || !email || !role) fail(`usage: user:create <dept> <email> <${ROLES.join("|")}>`);
      if (!EMAIL.test(email)) fail(`not an e-mail address: ${email}`);
      if (!(ROLES as readonly string[]).includes(role)) fail(`role must be one of ${ROLES.join(", ")}`);
      const [depts, users] = runSql(
        `SELECT id FROM departments WHERE slug = ${lit(dept)}; SELECT id FROM users WHERE email = ${lit(email)};`,
        remote,
      );
      const deptId = depts?.[0]?.id as string | undefined;
      if (!deptId) fail(`no department "${dept}" (create it with dept:create)`);
      const password = randomSecret(12);
      const hash = await hashPassword(password);
      const existingId = users?.[0]?.id as string | undefined;
      const userId = existingId ?? crypto.randomUUID();
      const now = Date.now();
      runSql(
        [
          existingId
            ? `UPDATE users SET password_hash = ${lit(hash)}, must_change_password = 1, failed_logins = 0, locked_until = NULL WHERE id = ${lit(userId)};`
            : `INSERT INTO users (id, email, password_hash, must_change_password, created_at) VALUES (${lit(userId)}, ${lit(email)}, ${lit(hash)}, 1, ${now});`,
          `INSERT INTO memberships (user_id, dept_id, role, created_at) VALUES (${lit(userId)}, ${lit(deptId)}, ${lit(role)}, ${now}) ON CONFLICT(user_id, dept_id) DO UPDATE SET role = excluded.role;`,
          `INSERT INTO audit_log (dept_id, actor_id, action, target, result, detail, created_at) VALUES (${lit(deptId)}, NULL, 'cli.user_create', ${lit(email)}, 'ok', ${lit(JSON.stringify({ role }))}, ${now});`,
        ].join("\n"),
        remote,
      );
      console.log(`${existingId ? "updated" : "created"} ${email} as ${role} of ${dept}; one-time password:`);
      console.log(password);
      return;
    }
    case "token:create": {
      const [emailRaw] = rest;
      const email = emailRaw?.toLowerCase();
      if (!email) fail("usage: token:create <email> [--days N]");
      const days = Number(option("--days") ?? "90");
      if (!Number.isInteger(days) || days < 1 || days > 3650)
        fail("--days must be a whole number from 1 to 3650");
      const [users] = runSql(`SELECT id FROM users WHERE email = ${lit(email)};`, remote);
      const userId = users?.[0]?.id as string | undefined;
      if (!userId) fail(`no user ${email} (create it with user:create)`);
      const token = `hy_${randomSecret(24)}`;
      const now = Date.now();
      runSql(
        `INSERT INTO api_tokens (id, user_id, token_hash, name, expires_at, created_at) VALUES (${lit(crypto.randomUUID())}, ${lit(userId)}, ${lit(await sha256Hex(token))}, 'cli', ${now + days * 86_400_000}, ${now});
INSERT INTO audit_log (actor_id, action, target, result, created_at) VALUES (${lit(userId)}, 'cli.token_create', ${lit(email)}, 'ok', ${now});`,
        remote,
      );
      console.log(`API token for ${email}, valid ${days} days (shown once; stored hashed):`);
      console.log(token);
      return;
    }
    default:
      fail(
        'usage: npm run admin -- <dept:create <slug> "<name>" | user:create <dept> <email> <role> | token:create <email>> [--remote]',
      );
  }
}

await main();
