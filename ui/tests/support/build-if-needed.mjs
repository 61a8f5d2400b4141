// Rebuild ui/dist when any input is newer than dist/index.html (or dist is missing).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const inputs = ['src', 'index.html', 'vite.config.ts', 'svelte.config.js', 'package.json', 'package-lock.json', 'public'];

function newest(path) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const name of readdirSync(path)) m = Math.max(m, newest(join(path, name)));
  return m;
}

const built = newest(join(root, 'dist', 'index.html'));
const source = Math.max(...inputs.map((p) => newest(join(root, p))));

if (built > 0 && built >= source && !process.env.FORCE_BUILD) {
  console.log('ui/dist is up to date');
} else {
  console.log('building ui/dist …');
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
