/**
 * Gives each shown run a colour index that stays the same while the run is
 * shown, so hiding one run does not repaint the others in new colours.
 */
export class RunColours {
  private readonly indexOfRun = new Map<string, number>();

  /** Keeps the indices of runs still shown, frees the others, and gives new runs the lowest free ones. */
  assign(runIds: readonly string[]): void {
    for (const id of [...this.indexOfRun.keys()]) if (!runIds.includes(id)) this.indexOfRun.delete(id);
    const used = new Set(this.indexOfRun.values());
    let next = 0;
    for (const id of runIds) {
      if (this.indexOfRun.has(id)) continue;
      while (used.has(next)) next++;
      this.indexOfRun.set(id, next);
      used.add(next);
    }
  }

  of(runId: string): number {
    return this.indexOfRun.get(runId) ?? 0;
  }
}
