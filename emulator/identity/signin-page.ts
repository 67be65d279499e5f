/** The emulator's sign-in and form_post pages: plain HTML, every value escaped. */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const hiddenInputs = (fields: [string, string][]) =>
  fields.map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('\n');

export function signInPage(opts: { hidden: [string, string][]; loginHint: string; error?: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to your account</title>
<style>body{font-family:sans-serif;max-width:24rem;margin:4rem auto}label,input{display:block;width:100%;margin:.4rem 0}.error{color:#a80000}</style>
</head><body>
<h1>Sign in</h1>
<p>Safehold tenant emulator</p>
${opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : ''}
<form method="post">
${hiddenInputs(opts.hidden)}
<label for="username">Email, phone, or Skype</label>
<input id="username" name="username" type="email" autocomplete="username" value="${escapeHtml(opts.loginHint)}" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" id="idSIButton9">Sign in</button>
</form>
</body></html>`;
}

export function formPostPage(action: string, fields: [string, string][]): string {
  return `<!doctype html>
<html><head><title>Working...</title></head><body onload="document.forms[0].submit()">
<form method="POST" name="hiddenform" action="${escapeHtml(action)}">
${hiddenInputs(fields)}
<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"></noscript>
</form></body></html>`;
}
