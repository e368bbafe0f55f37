// Waits until Glassbox answers /readyz, so no test races the server's start.
export default async function globalSetup() {
  const base = process.env.GLASSBOX_URL ?? 'http://127.0.0.1:3000';
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Glassbox did not become ready at ${base}/readyz within 60 s`);
}
