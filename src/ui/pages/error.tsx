import { Document } from "../components.js";

/** An error as a page: what went wrong, in the error's own words (escaped), and a way back. */
export function ErrorPage(props: { status: number; code: string; message: string }) {
  return (
    <Document title={`Error ${props.status}`}>
      <main id="main" class="signin">
        <h1>{props.status === 404 ? "Not found" : "That did not work"}</h1>
        <p class="error" role="alert">
          {props.message}
        </p>
        <p class="muted">
          Code <code>{props.code}</code> · HTTP {props.status}
        </p>
        <p>
          <a href="/ui">Back to the dashboard</a>
        </p>
      </main>
    </Document>
  );
}
