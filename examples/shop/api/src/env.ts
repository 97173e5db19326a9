export interface Env {
  DB: D1Database;
  CONFIG: KVNamespace;
  RECEIPTS: R2Bucket;
  CARTS: DurableObjectNamespace<import("./cart.js").Cart>;
  ORDER_EVENTS: Queue<OrderEvent>;
  CF_VERSION_METADATA: WorkerVersionMetadata;
}

/** What shop-api tells shop-consumer about an order. */
export interface OrderEvent {
  type: "order.created";
  v: 1;
  id: string;
  source: "shop-api";
  time: string;
  data: { orderId: string; userId: string; totalCents: number };
}
