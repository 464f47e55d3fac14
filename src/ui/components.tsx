import type { Child } from "hono/jsx";
import { isSecretHeader, maskSecretHeaders } from "../request/secret-headers.js";
import type { HeaderPair } from "../store/types.js";
import { assetUrl } from "./assets.js";
import { formatBytes, formatUtc, previewBody } from "./format.js";

/** What every signed-in page knows about its viewer. */
export interface PageContext {
  role: "project" | "admin";
  /** The project shown; null for an operator who has not picked one. */
  projectId: string | null;
  /** CSRF token for the page's forms. */
  csrf: string;
}

export type Section = "overview" | "triggers" | "generators" | "projects" | "health" | null;

const BODY_PREVIEW_BYTES = 16 * 1024;

/** The HTML document around every page. Every string is escaped by hono/jsx; nothing inline runs. */
export function Document(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{props.title} · Hourglass</title>
        <link rel="stylesheet" href={assetUrl("dashboard.css")} />
        <script src={assetUrl("dashboard.js")} defer></script>
      </head>
      <body>{props.children}</body>
    </html>
  );
}

/** A signed-in page: navigation, who is signed in, sign out. */
export function Layout(props: { title: string; page: PageContext; section: Section; children: Child }) {
  const { page, section } = props;
  const link = (href: string, name: Exclude<Section, null>, label: string) => (
    <a href={href} aria-current={section === name ? "page" : undefined}>
      {label}
    </a>
  );
  return (
    <Document title={props.title}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/ui">
          Hourglass
        </a>
        <nav aria-label="Sections">
          {page.projectId !== null && link("/ui/overview", "overview", "Overview")}
          {page.projectId !== null && link("/ui/triggers", "triggers", "Triggers")}
          {page.projectId !== null && link("/ui/generators", "generators", "Generators")}
          {page.role === "admin" && link("/ui/projects", "projects", "Projects")}
          {page.role === "admin" && link("/ui/health", "health", "Health")}
        </nav>
        <div class="who">
          <span>
            {page.role === "admin" ? "Operator" : "Project"}
            {page.projectId !== null && (
              <>
                {" · "}
                <code data-testid="project-id">{page.projectId}</code>
              </>
            )}
          </span>
          <form method="post" action="/ui/sign-out">
            <CsrfField token={page.csrf} />
            <button type="submit">Sign out</button>
          </form>
        </div>
      </header>
      <main id="main">{props.children}</main>
    </Document>
  );
}

export function CsrfField(props: { token: string }) {
  return <input type="hidden" name="_csrf" value={props.token} />;
}

/** A time in UTC, which the page script shows in the viewer's zone (UTC stays on hover). */
export function Time(props: { ms: number | null }) {
  if (props.ms === null) return <span class="muted">—</span>;
  const iso = new Date(props.ms).toISOString();
  return (
    <time datetime={iso} title={formatUtc(props.ms)}>
      {formatUtc(props.ms)}
    </time>
  );
}

export function Status(props: { status: string }) {
  return <span class={`status s-${props.status}`}>{props.status}</span>;
}

export function Tags(props: { tags: readonly string[] }) {
  return (
    <>
      {props.tags.map((tag) => (
        <span class="tag">{tag}</span>
      ))}
    </>
  );
}

/** A list's first cell: the link to a trigger's or generator's page, named by its title, and its custom key. */
export function NameCell(props: { href: string; id: string; title: string | null; customKey: string | null }) {
  return (
    <td>
      <a href={props.href}>{props.title ?? props.id}</a>
      {props.customKey !== null && <div class="muted mono">{props.customKey}</div>}
    </td>
  );
}

/** A list's cell for the request to replay: its method and URL. */
export function RequestCell(props: { method: string; url: string }) {
  return (
    <td class="url mono">
      {props.method} {props.url}
    </td>
  );
}

/** A one-button form posting a state change (with the CSRF token); `confirm` asks first. */
export function ActionButton(props: { action: string; label: string; csrf: string; confirm?: string; danger?: boolean }) {
  return (
    <form method="post" action={props.action} data-confirm={props.confirm}>
      <CsrfField token={props.csrf} />
      <button type="submit" class={props.danger ? "danger" : undefined}>
        {props.label}
      </button>
    </form>
  );
}

/** Notices after an action, from a fixed list: never text from the query string. */
export const NOTICES: Readonly<Record<string, string>> = {
  cancelled: "Cancelled.",
  replayed: "Replayed: it fires again now.",
  paused: "Paused: no instance is pending until you resume.",
  resumed: "Resumed.",
  ran: "One extra run is due now.",
  created: "Created.",
  edited: "Saved.",
  revoked: "Key revoked: requests and sessions using it stop at once.",
  "limits-saved": "Limits saved.",
  dropped: "The previous signing secret was dropped: one secret signs now.",
};

export function Notice(props: { code: string | undefined }) {
  const text = props.code === undefined ? undefined : NOTICES[props.code];
  return text === undefined ? null : (
    <p class="notice" role="status">
      {text}
    </p>
  );
}

/**
 * A stored request as it will be sent: method and URL, the headers in order with secret-bearing
 * values masked unless `reveal`, the body as text or a hex dump.
 */
export function RequestView(props: { method: string; url: string; headers: HeaderPair[]; body: Uint8Array | null; reveal: boolean; revealHref: string; hideHref: string }) {
  const headers = props.reveal ? props.headers : maskSecretHeaders(props.headers);
  const masked = !props.reveal && props.headers.some(([name]) => isSecretHeader(name));
  const preview = previewBody(props.body, BODY_PREVIEW_BYTES);
  return (
    <section aria-labelledby="request-heading">
      <h2 id="request-heading">Request as it will be sent</h2>
      <pre class="mono" data-testid="request-line">
        {props.method} {props.url}
      </pre>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Header</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody data-testid="request-headers">
            {headers.map(([name, value]) => (
              <tr>
                <td class="mono">{name}</td>
                <td class="mono url">{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {masked && (
        <p class="muted">
          Secret-bearing values are masked. <a href={props.revealHref}>Reveal them</a>
        </p>
      )}
      {props.reveal && (
        <p class="muted">
          Secret values are shown. <a href={props.hideHref}>Mask them again</a>
        </p>
      )}
      <h2>Body</h2>
      {preview.kind === "none" && <p class="muted">{props.body === null ? "No body." : "Empty body."}</p>}
      {preview.kind === "text" && (
        <>
          <p class="muted">
            {formatBytes(preview.size)}, text{preview.truncated ? " (the start is shown)" : ""}
          </p>
          <pre data-testid="body-text">{preview.text}</pre>
        </>
      )}
      {preview.kind === "binary" && (
        <>
          <p class="muted">
            {formatBytes(preview.size)}, binary (hex){preview.truncated ? ", the start is shown" : ""}
          </p>
          <pre class="hex" data-testid="body-hex">
            {preview.lines.join("\n")}
          </pre>
        </>
      )}
    </section>
  );
}

/** Links to the first and the next page of a listing. */
export function Pager(props: { firstHref: string | null; nextHref: string | null }) {
  if (props.firstHref === null && props.nextHref === null) return null;
  return (
    <nav class="pager" aria-label="Pages">
      {props.firstHref !== null && <a href={props.firstHref}>First page</a>}
      {props.nextHref !== null && (
        <a href={props.nextHref} rel="next">
          Next page
        </a>
      )}
    </nav>
  );
}
