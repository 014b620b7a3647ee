import type { Message, NodeId } from "../core/types.js";

/**
 * How a RAFT node exchanges messages with its peers. Delivery is best effort: messages may
 * be lost, delayed or reordered, and RAFT copes.
 */
export interface Transport {
  /** Sends a message to `m.to`. Never throws for an unreachable peer. */
  send(m: Message): void;
  /** Sets the handler for messages addressed to this node. */
  onMessage(handler: (m: Message) => void): void;
  close(): Promise<void>;
}

/**
 * An in-process network connecting in-memory transports, with link cutting for tests.
 *
 * @example
 * const net = new MemoryNetwork();
 * const a = net.transport("a"), b = net.transport("b");
 */
export class MemoryNetwork {
  private readonly handlers = new Map<NodeId, (m: Message) => void>();
  private readonly cut = new Set<string>();

  transport(id: NodeId): Transport {
    return new MemoryTransport(id, this);
  }

  /** Cuts both directions between `id` and every other node. */
  isolate(id: NodeId): void {
    for (const other of this.handlers.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** @internal */
  register(id: NodeId, handler: ((m: Message) => void) | null): void {
    if (handler) this.handlers.set(id, handler);
    else this.handlers.delete(id);
  }

  /** @internal */
  deliver(m: Message): void {
    if (this.cut.has(`${m.from}>${m.to}`)) return;
    const handler = this.handlers.get(m.to);
    if (handler) setImmediate(() => this.handlers.get(m.to) === handler && handler(m));
  }
}

class MemoryTransport implements Transport {
  constructor(
    private readonly id: NodeId,
    private readonly network: MemoryNetwork,
  ) {}

  send(m: Message): void {
    this.network.deliver(m);
  }

  onMessage(handler: (m: Message) => void): void {
    this.network.register(this.id, handler);
  }

  async close(): Promise<void> {
    this.network.register(this.id, null);
  }
}
