import { Document } from "../components.js";

/** The sign-in form: a project's API key or the admin token, posted (never in a URL). */
export function SignInPage(props: { error: string | null; adminEnabled: boolean }) {
  return (
    <Document title="Sign in">
      <main id="main" class="signin">
        <h1>Hourglass</h1>
        <p class="muted">
          Sign in with a project's API key to see that project
          {props.adminEnabled ? ", or with the admin token to see every project" : ""}.
        </p>
        {props.error !== null && (
          <p class="error" role="alert">
            {props.error}
          </p>
        )}
        <form class="stack" method="post" action="/ui/sign-in">
          <label for="credential">
            {props.adminEnabled ? "API key or admin token" : "API key"}
            <input id="credential" name="credential" type="password" autocomplete="current-password" required autofocus />
          </label>
          <button class="primary" type="submit">
            Sign in
          </button>
        </form>
      </main>
    </Document>
  );
}
