/** Objects of one kind on one account, kept in creation order (lists return them newest first). */
export class Collection<T extends { id: string }> {
  private readonly items = new Map<string, T>();

  get(id: string): T | undefined {
    return this.items.get(id);
  }

  add(item: T): T {
    this.items.set(item.id, item);
    return item;
  }

  delete(id: string): void {
    this.items.delete(id);
  }

  get size(): number {
    return this.items.size;
  }

  newestFirst(): T[] {
    return [...this.items.values()].reverse();
  }

  /** In creation order (oldest first). */
  all(): T[] {
    return [...this.items.values()];
  }
}
