/**
 * The dashboard's Content-Security-Policy: nothing inline may run or style (every string a
 * tenant controls is text, and even an injected tag could do nothing), scripts and styles only
 * from /ui/assets, forms only to this origin, never framed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/** Headers on every dashboard response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  // Not "no-referrer": under it a browser sends `Origin: null` with a form POST, which the origin check must refuse.
  "Referrer-Policy": "same-origin",
  "Cross-Origin-Opener-Policy": "same-origin",
};

/** The request headers {@link isSameOrigin} looks at. */
export interface OriginHeaders {
  /** The host the request was sent to (the request URL's, from Host). */
  host: string | undefined;
  origin: string | undefined;
  /** X-Forwarded-Host, when a proxy rewrote Host. */
  forwardedHost: string | undefined;
  secFetchSite: string | undefined;
}

/**
 * Whether a state-changing request comes from a page of this dashboard. A browser sends `Origin`
 * on every POST (and `Sec-Fetch-Site`); its host must be the host the request was sent to. A
 * request with neither comes from no browser, so it cannot be a cross-site forgery (the CSRF
 * token is checked all the same).
 */
export function isSameOrigin(headers: OriginHeaders): boolean {
  const site = headers.secFetchSite?.toLowerCase();
  if (site !== undefined && site !== "same-origin" && site !== "none") return false;
  if (headers.origin === undefined) return true;
  let originHost: string;
  try {
    originHost = new URL(headers.origin).host.toLowerCase();
  } catch {
    return false; // includes "null": a sandboxed or privacy-sensitive context
  }
  const hosts = [headers.host, headers.forwardedHost?.split(",")[0]?.trim()].filter((h): h is string => h !== undefined && h !== "");
  return hosts.some((host) => host.toLowerCase() === originHost);
}

/** Whether the request reached us over https, directly or through a proxy that says so. */
export function isHttps(url: string, forwardedProto: string | undefined): boolean {
  if (new URL(url).protocol === "https:") return true;
  return forwardedProto?.split(",")[0]?.trim().toLowerCase() === "https";
}
