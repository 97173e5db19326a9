import { DurableObject } from "cloudflare:workers";

export interface CartLine {
  sku: string;
  quantity: number;
  priceCents: number;
}

/** One cart per user: the object is addressed by user id, so no single object becomes a hot spot. */
export class Cart extends DurableObject {
  async lines(): Promise<CartLine[]> {
    return (await this.ctx.storage.get<CartLine[]>("lines")) ?? [];
  }

  async add(line: CartLine): Promise<CartLine[]> {
    const lines = await this.lines();
    const existing = lines.find((l) => l.sku === line.sku);
    if (existing) existing.quantity += line.quantity;
    else lines.push(line);
    await this.ctx.storage.put("lines", lines);
    return lines;
  }

  async clear(): Promise<void> {
    await this.ctx.storage.delete("lines");
  }
}
