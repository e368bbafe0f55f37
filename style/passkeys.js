// Glassbox's passkey ceremonies (WebAuthn), for the pages that add a key, sign in with one,
// or confirm an action with one. A button names its ceremony:
//   <button data-passkey="create|get" data-options="/url" data-finish="/url"
//           data-name-input="id-of-a-text-input (create only)">
// The page asks `data-options` for the server's options (POST, JSON), lets the browser and
// the authenticator do their part, and posts the result to `data-finish`, which answers
// `{ "redirect": "/next" }` or `{ "message": "what went wrong and what to do" }`. What
// happens is said in `#passkey-status` (a live region). Served as a file of the site: the
// page's Content-Security-Policy allows no inline script.
(() => {
  'use strict';

  const toBytes = (b64url) => {
    const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
    const text = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    return Uint8Array.from(text, (c) => c.charCodeAt(0)).buffer;
  };
  const toB64url = (buffer) => {
    let text = '';
    for (const b of new Uint8Array(buffer)) text += String.fromCharCode(b);
    return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };

  const say = (text, isError) => {
    const status = document.getElementById('passkey-status');
    if (!status) return;
    status.className = isError ? 'notice notice-error' : 'notice';
    status.setAttribute('role', isError ? 'alert' : 'status');
    status.textContent = text;
  };

  const post = async (url, body) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify(body ?? {}),
    });
    let answer = {};
    try {
      answer = await res.json();
    } catch {
      // an answer without JSON is told by its status below
    }
    if (!res.ok) {
      const refused = new Error(answer.message || `Glassbox answered ${res.status}. Reload the page and try again.`);
      refused.redirect = answer.redirect;
      throw refused;
    }
    return answer;
  };

  const creationOptions = (options) => {
    const pk = options.publicKey;
    pk.challenge = toBytes(pk.challenge);
    pk.user.id = toBytes(pk.user.id);
    for (const c of pk.excludeCredentials ?? []) c.id = toBytes(c.id);
    return { publicKey: pk };
  };

  const requestOptions = (options) => {
    const pk = options.publicKey;
    pk.challenge = toBytes(pk.challenge);
    for (const c of pk.allowCredentials ?? []) c.id = toBytes(c.id);
    return { publicKey: pk };
  };

  const created = (cred) => ({
    id: cred.id,
    rawId: toB64url(cred.rawId),
    type: cred.type,
    response: {
      attestationObject: toB64url(cred.response.attestationObject),
      clientDataJSON: toB64url(cred.response.clientDataJSON),
      transports: cred.response.getTransports ? cred.response.getTransports() : undefined,
    },
    extensions: {},
  });

  const asserted = (cred) => ({
    id: cred.id,
    rawId: toB64url(cred.rawId),
    type: cred.type,
    response: {
      authenticatorData: toB64url(cred.response.authenticatorData),
      clientDataJSON: toB64url(cred.response.clientDataJSON),
      signature: toB64url(cred.response.signature),
      userHandle: cred.response.userHandle ? toB64url(cred.response.userHandle) : null,
    },
    extensions: {},
  });

  const run = async (button) => {
    const ceremony = button.dataset.passkey;
    const nameInput = button.dataset.nameInput ? document.getElementById(button.dataset.nameInput) : null;
    const name = nameInput ? nameInput.value.trim() : undefined;
    if (nameInput && !name) {
      say('Give the key a name first, so you can tell your keys apart.', true);
      nameInput.focus();
      return;
    }
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say('This browser cannot use passkeys. Use a current browser, or another device.', true);
      return;
    }
    button.disabled = true;
    try {
      say(ceremony === 'create' ? 'Follow your browser to create the passkey…' : 'Follow your browser to use your passkey…');
      const options = await post(button.dataset.options, {});
      let credential;
      try {
        credential = ceremony === 'create'
          ? created(await navigator.credentials.create(creationOptions(options)))
          : asserted(await navigator.credentials.get(requestOptions(options)));
      } catch (e) {
        if (e && e.name === 'InvalidStateError') throw new Error('This authenticator already holds a passkey for you here.');
        throw new Error('The passkey was not used (cancelled, timed out, or not allowed). Try again.');
      }
      const done = await post(button.dataset.finish, { name, credential });
      say(done.message || 'Done.');
      if (done.redirect) window.location.assign(done.redirect);
    } catch (e) {
      say(e.message, true);
      // Where the refusal says to go (confirm with a key you have, sign in again).
      if (e.redirect) window.location.assign(e.redirect);
    } finally {
      button.disabled = false;
    }
  };

  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-passkey]');
    if (!button) return;
    event.preventDefault();
    run(button);
  });
  for (const b of document.querySelectorAll('button[data-passkey]')) b.hidden = false;
  for (const n of document.querySelectorAll('[data-passkey-needs-script]')) n.hidden = true;
})();
