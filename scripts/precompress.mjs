// Compresses the browser bundle once, at build time: target/site/pkg/*.{wasm,js,css} get a
// .br (brotli, quality 11 unless PRECOMPRESS_QUALITY says otherwise) and a .gz (level 9) next
// to them, which the server sends as they are (no per-request compression of static files).
// Files whose compressed copies are newer than they are skipped.
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'target/site/pkg';
const quality = Number(process.env.PRECOMPRESS_QUALITY ?? 11);
const fresh = (src, out) => existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs;

for (const name of readdirSync(dir)) {
  if (!/\.(wasm|js|css)$/.test(name)) continue;
  const src = join(dir, name);
  const raw = readFileSync(src);
  const br = `${src}.br`;
  const gz = `${src}.gz`;
  if (!fresh(src, br)) {
    writeFileSync(br, brotliCompressSync(raw, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: quality,
        [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      },
    }));
  }
  if (!fresh(src, gz)) writeFileSync(gz, gzipSync(raw, { level: 9 }));
  const kb = (f) => (statSync(f).size / 1024).toFixed(1);
  console.log(`${name}: ${kb(src)} KB raw, ${kb(br)} KB brotli, ${kb(gz)} KB gzip`);
}
