// The sign-in page: the admin token goes in a POST body, never a URL, and is exchanged for a session cookie.
import { html } from "hono/html";
import { type Html, barePage, notice } from "./layout";

export function signInPage(opts: { error?: string; info?: string; insecure?: boolean }): Html {
  return barePage(
    "Sign in",
    html`<form class="signin" method="post" action="/admin/login">
      <h1>bedrock-gateway admin</h1>
      ${notice(opts.info)} ${notice(opts.error, "error")}
      ${
        opts.insecure
          ? notice("This page came over plain http to an address that is not loopback: the browser will not keep the session cookie. Use https.", "error")
          : ""
      }
      <label>Admin token <input type="password" name="token" autocomplete="off" required autofocus /></label>
      <button type="submit">Sign in</button>
      <p class="note">The token is the gateway's ADMIN_TOKEN setting. A session lasts 12 hours.</p>
    </form>`,
  );
}

export function errorPage(status: number, message: string): Html {
  return barePage(
    `Error ${status}`,
    html`<h1>${status === 404 ? "Not found" : status === 403 ? "Refused" : "Something went wrong"}</h1>
      <p>${message}</p>
      <p><a href="/admin">Back to the console</a></p>`,
  );
}
