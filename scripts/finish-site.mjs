// Places the browser bundle and the stylesheet under content-hashed names and writes their
// compressed copies.
//   node scripts/finish-site.mjs SITE_DIR
// Reads SITE_DIR/pkg/glassbox.js and glassbox.wasm (bound and optimised) and style/glassbox.css,
// writes glassbox.<hash>.js / .wasm / .css with .br and .gz beside them (and beside the other
// files of pkg/), removes the hashed files of earlier builds, and writes SITE_DIR/hash.txt
// last, so the server never links a name that is not on disk yet.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, readdirSync, renameSync, unlinkSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const site = process.argv[2];
if (!site) {
  console.error('usage: node scripts/finish-site.mjs SITE_DIR');
  process.exit(2);
}
const pkg = join(site, 'pkg');

// Written to a temporary name and renamed: a server reading meanwhile sees the old file or the new one.
function writeAtomically(path, bytes) {
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
}

function compress(path) {
  const bytes = readFileSync(path);
  // A copy made from this very file (a file that did not change, like Redoc) is kept.
  const fresh = (copy) => existsSync(copy) && statSync(copy).mtimeMs >= statSync(path).mtimeMs;
  if (fresh(`${path}.br`) && fresh(`${path}.gz`)) {
    return { raw: bytes.length, br: statSync(`${path}.br`).size, gz: statSync(`${path}.gz`).size };
  }
  const br = brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
  const gz = gzipSync(bytes, { level: 9 });
  writeAtomically(`${path}.br`, br);
  writeAtomically(`${path}.gz`, gz);
  return { raw: bytes.length, br: br.length, gz: gz.length };
}

// The stylesheet the server also compiles in (it serves that one at /pkg/glassbox.css when
// a site has no hashed copy).
const stylesheet = join(dirname(fileURLToPath(import.meta.url)), '..', 'style', 'glassbox.css');
const sources = { js: join(pkg, 'glassbox.js'), wasm: join(pkg, 'glassbox.wasm'), css: stylesheet };
const hashes = {};
for (const [ext, source] of Object.entries(sources)) {
  hashes[ext] = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 20);
}
const current = new Set(Object.entries(hashes).map(([ext, hash]) => `glassbox.${hash}.${ext}`));
// Earlier builds' hashed files (and their compressed copies) would only pile up.
for (const name of readdirSync(pkg)) {
  const m = /^glassbox\.([0-9a-f]{16,})\.(js|wasm|css)(\.br|\.gz)?$/.exec(name);
  if (m && !current.has(`glassbox.${m[1]}.${m[2]}`)) unlinkSync(join(pkg, name));
}
for (const [ext, hash] of Object.entries(hashes)) {
  const hashed = join(pkg, `glassbox.${hash}.${ext}`);
  // The same name is the same content: a rebuild that changed nothing leaves it (and its copies).
  if (!existsSync(hashed)) writeAtomically(hashed, readFileSync(sources[ext]));
}
const sizes = {};
for (const name of readdirSync(pkg)) {
  if (/\.(br|gz|tmp)$/.test(name)) continue;
  // The plain names are rewritten by every build and linked only without hash.txt (a build
  // without Node, which makes no copies): a copy of them would soon be stale.
  if (/^glassbox\.(js|wasm)$/.test(name)) {
    for (const copy of [`${name}.br`, `${name}.gz`]) if (existsSync(join(pkg, copy))) unlinkSync(join(pkg, copy));
    continue;
  }
  sizes[name] = compress(join(pkg, name));
}
writeAtomically(join(site, 'hash.txt'), `js: ${hashes.js}\nwasm: ${hashes.wasm}\ncss: ${hashes.css}\n`);

const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
for (const name of current) {
  const s = sizes[name];
  console.error(`  ${name}: ${kb(s.raw)}, ${kb(s.br)} brotli, ${kb(s.gz)} gzip`);
}
