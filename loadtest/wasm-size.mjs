// Where the browser bundle's bytes go: code size per crate, read from the name section of the
// wasm that cargo writes before wasm-bindgen and wasm-opt (those strip the names).
//
//   node loadtest/wasm-size.mjs [path/to/frontend.wasm] [--top 25] [--fns 15]
//
// Prints a table and writes bench-results/wasm-size.json. Sizes are before wasm-opt, so they
// are larger than the shipped file; the shares are what matter.
import { readFileSync, existsSync } from 'node:fs';
import { writeJson, printTable } from './lib.mjs';

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const path =
  args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--'))) ??
  'target/front/wasm32-unknown-unknown/wasm-release/frontend.wasm';
if (!existsSync(path)) {
  console.error(`${path} not found: build the release bundle first (./scripts/bench.sh, or trunk build --release)`);
  process.exit(1);
}

const bytes = readFileSync(path);
let pos = 0;
const leb = () => {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
    shift += 7;
  }
};
const str = () => {
  const len = leb();
  const s = bytes.toString('utf8', pos, pos + len);
  pos += len;
  return s;
};

if (bytes.readUInt32LE(0) !== 0x6d736100) throw new Error(`${path} is not a wasm module`);
pos = 8;
const sections = {};
let importedFns = 0;
let bodies = []; // size of each defined function's body, by defined index
const names = new Map(); // function index -> symbol
const sectionNames = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'datacount'];
while (pos < bytes.length) {
  const id = bytes[pos++];
  const size = leb();
  const end = pos + size;
  let label = sectionNames[id] ?? `section ${id}`;
  if (id === 2) {
    for (let n = leb(); n > 0; n--) {
      str();
      str();
      const kind = bytes[pos++];
      if (kind === 0) { leb(); importedFns++; }
      else if (kind === 1) { pos++; const flags = leb(); leb(); if (flags & 1) leb(); }
      else if (kind === 2) { const flags = leb(); leb(); if (flags & 1) leb(); }
      else if (kind === 3) { pos += 2; }
      else { pos = end; break; }
    }
  } else if (id === 10) {
    const n = leb();
    bodies = new Array(n);
    for (let i = 0; i < n; i++) {
      const len = leb();
      bodies[i] = len;
      pos += len;
    }
  } else if (id === 0) {
    const name = str();
    label = `custom:${name}`;
    if (name === 'name') {
      while (pos < end) {
        const sub = bytes[pos++];
        const subSize = leb();
        const subEnd = pos + subSize;
        if (sub === 1) {
          for (let n = leb(); n > 0; n--) {
            const idx = leb();
            names.set(idx, str());
          }
        }
        pos = subEnd;
      }
    }
  }
  sections[label] = (sections[label] ?? 0) + size;
  pos = end;
}

// Legacy Rust mangling (_ZN…E) to a readable path; v0 (_R…) and C symbols pass through.
function demangle(sym) {
  if (!sym.startsWith('_ZN')) return sym;
  let i = 3;
  const parts = [];
  while (i < sym.length && sym[i] !== 'E') {
    let j = i;
    while (sym[j] >= '0' && sym[j] <= '9') j++;
    const len = Number(sym.slice(i, j));
    if (!len) break;
    parts.push(sym.slice(j, j + len));
    i = j + len;
  }
  if (parts.length && /^h[0-9a-f]{16}$/.test(parts[parts.length - 1])) parts.pop();
  return parts
    .join('::')
    .replace(/\$LT\$/g, '<').replace(/\$GT\$/g, '>').replace(/\$RF\$/g, '&')
    .replace(/\$u20\$/g, ' ').replace(/\$u7b\$/g, '{').replace(/\$u7d\$/g, '}')
    .replace(/\$C\$/g, ',').replace(/\$BP\$/g, '*').replace(/\$u27\$/g, "'")
    .replace(/\$u5b\$/g, '[').replace(/\$u5d\$/g, ']').replace(/\.\./g, '::')
    .replace(/^_</, '<');
}

// The crate a function is charged to: the first path segment, or for `<T as Trait>::f` the
// crate of T (where the code was written for that type).
function crateOf(name) {
  const v0 = name.match(/^_R.*?C[sn]?[0-9A-Za-z]*_(\d+)/);
  if (v0) {
    const at = name.indexOf(v0[0]) + v0[0].length;
    return name.slice(at, at + Number(v0[1]));
  }
  const m = name.match(/^[<&*\s(\[]*(?:mut\s+|const\s+|dyn\s+)?([A-Za-z_][A-Za-z0-9_]*)/);
  if (!m) return '(other)';
  const c = m[1];
  // `<T as Trait>::f`, `<F as …>`: a generic impl; the type is not in the symbol.
  if (/^[A-Z][A-Za-z0-9]*$/.test(c)) return '(generic impl)';
  if (['u8', 'u16', 'u32', 'u64', 'usize', 'i8', 'i16', 'i32', 'i64', 'isize', 'f32', 'f64', 'bool', 'char', 'str'].includes(c)) {
    return 'core';
  }
  return c;
}

const perCrate = new Map();
const fns = [];
let unnamed = 0;
bodies.forEach((size, i) => {
  const sym = names.get(importedFns + i);
  if (!sym) { unnamed += size; return; }
  const name = demangle(sym);
  const crate = crateOf(name);
  const entry = perCrate.get(crate) ?? { crate, bytes: 0, functions: 0 };
  entry.bytes += size;
  entry.functions += 1;
  perCrate.set(crate, entry);
  fns.push({ name, bytes: size });
});
if (unnamed) perCrate.set('(no name)', { crate: '(no name)', bytes: unnamed, functions: 0 });

const code = bodies.reduce((a, b) => a + b, 0);
const crates = [...perCrate.values()].sort((a, b) => b.bytes - a.bytes);
fns.sort((a, b) => b.bytes - a.bytes);
const pct = (n) => `${((100 * n) / code).toFixed(1)} %`;

const top = opt('--top', 25);
const topFns = opt('--fns', 15);
console.log(`\n${path}: ${kb(bytes.length)} (before wasm-bindgen and wasm-opt)\n`);
printTable(Object.entries(sections).sort((a, b) => b[1] - a[1]).map(([s, n]) => [`section ${s}`, kb(n)]));
console.log('\ncode by crate (share of the code section, functions)');
printTable(crates.slice(0, top).map((c) => [c.crate, `${kb(c.bytes).padStart(9)}  ${pct(c.bytes).padStart(6)}  ${c.functions}`]));
console.log('\nlargest functions');
printTable(fns.slice(0, topFns).map((f) => [kb(f.bytes).padStart(9), f.name.length > 110 ? `${f.name.slice(0, 107)}...` : f.name]));
writeJson('bench-results/wasm-size.json', { file: path, total: bytes.length, code, sections, crates, largest: fns.slice(0, 100) });
