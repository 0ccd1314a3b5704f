/** Something to split whole: a name (a file path) and its size (characters, examples). */
export interface SplitGroup {
  name: string;
  size: number;
}

/**
 * Splits whole groups into training and validation, so validation never holds
 * part of a group training has seen (a continuation of a training file, a
 * snippet of a training file), which would flatter the validation figures.
 *
 * Groups are ranked by a seeded hash of their name rather than shuffled, so
 * adding a group moves at most that group between sides. Walking that ranking,
 * a group joins validation when that brings validation's size closer to
 * `validationFraction` of the total. With 2+ groups both sides get at least
 * one; with one group, validation is empty.
 */
export function splitGroups<T extends SplitGroup>(groups: readonly T[], validationFraction: number, seed: number): { train: T[]; validation: T[] } {
  if (!(validationFraction >= 0 && validationFraction < 1)) {
    throw new RangeError(`validationFraction must be in [0, 1), got ${validationFraction}`);
  }
  if (groups.length < 2) return { train: [...groups], validation: [] };
  const total = groups.reduce((sum, g) => sum + g.size, 0);
  const target = total * validationFraction;
  const ranked = groups
    .map((group) => ({ group, rank: hashName(group.name, seed) }))
    .sort((a, b) => a.rank - b.rank || compareStrings(a.group.name, b.group.name))
    .map(({ group }) => group);
  const validation = new Set<T>();
  let size = 0;
  for (const group of ranked) {
    if (validation.size === groups.length - 1) break; // train keeps at least one
    // Join if |size + n − target| < |size − target|, i.e. it gets us closer.
    if (2 * size + group.size < 2 * target) {
      validation.add(group);
      size += group.size;
    }
  }
  if (validation.size === 0) {
    // Every group overshoots the target on its own; the smallest overshoots least.
    validation.add(ranked.reduce((best, g) => (g.size < best.size ? g : best)));
  }
  return { train: groups.filter((g) => !validation.has(g)), validation: groups.filter((g) => validation.has(g)) };
}

/** FNV-1a over seed and name: tiny, deterministic, well enough spread for ranking. */
function hashName(name: string, seed: number): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A group whose examples all carry one label (a file of one language, a file in a class's folder). */
export interface LabelledGroup extends SplitGroup {
  label: string;
}

/**
 * `splitGroups` within each label, so validation holds about
 * `validationFraction` of every class (a few files of a rare class would
 * otherwise all land on one side, and the held-out figures would say little
 * about that class). A label with one group keeps it for training; when no
 * label has two, the groups are split as `splitGroups` does.
 */
export function splitGroupsByLabel<T extends LabelledGroup>(groups: readonly T[], validationFraction: number, seed: number): { train: T[]; validation: T[] } {
  const byLabel = new Map<string, T[]>();
  for (const g of groups) {
    const members = byLabel.get(g.label);
    if (members) members.push(g);
    else byLabel.set(g.label, [g]);
  }
  const held = new Set<T>();
  for (const members of byLabel.values()) for (const g of splitGroups(members, validationFraction, seed).validation) held.add(g);
  if (held.size === 0) return splitGroups(groups, validationFraction, seed);
  return { train: groups.filter((g) => !held.has(g)), validation: groups.filter((g) => held.has(g)) };
}
