#!/usr/bin/env python3
"""Layering check (ctest: `layering`): no file includes a header of a layer it may not use.

Usage: check_layers.py <repo root> <layer manifest>

The manifest is written by src/CMakeLists.txt from the layer targets themselves, one line per
layer: "<target>|<folder>,...|<linked target>,...". A layer may include its own headers and
those of every layer it links, directly or transitively. An include is resolved the way the
compiler would with the project's include paths (src/, then the repository root); includes
that resolve to no layer's folder (system, third-party, generated files) are not checked.
Every source file under src/ must belong to a layer (a new folder is added to one in
src/CMakeLists.txt). Prints every violation as "file:line: layer A includes ... of layer B"
(or "file: in no layer") and exits 1 if any.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
SOURCE_EXTS = ('.h', '.hpp', '.cc', '.cpp')


def read_manifest(path):
    layers = {}  # target -> (folders, direct deps)
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            name, dirs, deps = line.split('|')
            layers[name] = ([d for d in dirs.split(',') if d], [d for d in deps.split(',') if d])
    return layers


def closure(layers):
    allowed = {}
    for name in layers:
        seen, todo = {name}, list(layers[name][1])
        while todo:
            dep = todo.pop()
            if dep in seen or dep not in layers:
                continue
            seen.add(dep)
            todo.extend(layers[dep][1])
        allowed[name] = seen
    return allowed


def layer_of(rel_path, layers):
    """The layer whose folder holds rel_path (relative to the repo root), or None."""
    best, best_len = None, -1
    for name, (dirs, _) in layers.items():
        for d in dirs:
            if rel_path.startswith(d + '/') and len(d) > best_len:
                best, best_len = name, len(d)
    return best


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    root, manifest = sys.argv[1], sys.argv[2]
    layers = read_manifest(manifest)
    allowed = closure(layers)
    violations, files = [], 0
    for name, (dirs, _) in sorted(layers.items()):
        for d in dirs:
            for dirpath, _, names in os.walk(os.path.join(root, d)):
                for n in sorted(names):
                    if not n.endswith(SOURCE_EXTS):
                        continue
                    path = os.path.join(dirpath, n)
                    rel = os.path.relpath(path, root)
                    if layer_of(rel, layers) != name:
                        continue  # a sub-folder owned by another layer
                    files += 1
                    with open(path, encoding='utf-8', errors='replace') as f:
                        for lineno, line in enumerate(f, 1):
                            m = INCLUDE.match(line)
                            if not m:
                                continue
                            target = None
                            for base in ('src', '.'):
                                candidate = os.path.normpath(os.path.join(base, m.group(1)))
                                if os.path.exists(os.path.join(root, candidate)):
                                    target = layer_of(candidate, layers)
                                    break
                            if target is not None and target not in allowed[name]:
                                violations.append(
                                    f'{rel}:{lineno}: layer {name} includes "{m.group(1)}" of '
                                    f'layer {target}, which {name} does not link')
    for dirpath, _, names in os.walk(os.path.join(root, 'src')):
        for n in sorted(names):
            rel = os.path.relpath(os.path.join(dirpath, n), root)
            if n.endswith(SOURCE_EXTS) and layer_of(rel, layers) is None:
                violations.append(f'{rel}: in no layer (PETACORE_LAYER_DIRS, src/CMakeLists.txt)')
    for v in violations:
        print(v)
    print(f'{files} files in {len(layers)} layers checked, {len(violations)} violation(s)')
    return 1 if violations else 0


if __name__ == '__main__':
    sys.exit(main())
