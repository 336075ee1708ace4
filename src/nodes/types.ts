/**
 * The small slice of the Node-RED runtime API these nodes use, typed by hand so the package
 * needs no `@types/node-red` and no `any` crosses our exported APIs. Shapes follow
 * @node-red/registry (createNodeApi) and @node-red/runtime (Node.prototype) of Node-RED 4.
 */

/** A message travelling through a flow. */
export interface NodeMessage {
  [key: string]: unknown;
  payload?: unknown;
  topic?: unknown;
  _msgid?: string;
}

/** A node status as shown under the node in the editor. */
export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

/** What a node's JSON definition in a flow always carries. */
export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
}

/** `send` as passed to an input handler. */
export type SendFn = (msg: NodeMessage | Array<NodeMessage | null> | null) => void;

/** `done` as passed to an input handler: call once, with the error when the message failed. */
export type DoneFn = (err?: Error) => void;

/** Input handler in the three-argument form Node-RED 1.0+ uses. */
export type InputHandler = (msg: NodeMessage, send: SendFn, done: DoneFn) => void;

/** Close handler in the two-argument form: `done` must be called, quickly. */
export type CloseHandler = (removed: boolean, done: () => void) => void;

/** A runtime node instance (the members of Node.prototype we call). */
export interface NodeInstance {
  readonly id: string;
  readonly type: string;
  name?: string;
  credentials?: Record<string, string | undefined>;
  on(event: 'input', handler: InputHandler): void;
  on(event: 'close', handler: CloseHandler): void;
  removeListener(event: string, handler: (...args: never[]) => void): void;
  status(status: NodeStatus | Record<string, never>): void;
  send(msg: NodeMessage | Array<NodeMessage | null> | null): void;
  error(err: unknown, msg?: NodeMessage): void;
  warn(text: unknown): void;
  log(text: unknown): void;
  debug(text: unknown): void;
}

/** The subset of an Express request the admin endpoint reads. */
export interface AdminRequest {
  params: Record<string, string>;
  body: unknown;
}

/** The subset of an Express response the admin endpoint writes. */
export interface AdminResponse {
  status(code: number): AdminResponse;
  json(body: unknown): void;
}

/** An Express middleware or handler. */
export type AdminHandler = (req: AdminRequest, res: AdminResponse, next: (err?: unknown) => void) => void;

/** Options of `registerType`. */
export interface RegisterOptions {
  credentials?: Record<string, { type: 'text' | 'password' }>;
}

/** The `RED` object handed to a node module (namespaced to that module's message catalog). */
export interface NodeAPI {
  nodes: {
    createNode(node: NodeInstance, def: NodeDef): void;
    /** The constructor is called with `this` bound to a fresh node; its own types are the caller's. */
    registerType(type: string, constructor: (this: never, def: never) => void, options?: RegisterOptions): void;
    getNode(id: string): NodeInstance | null;
    getCredentials(id: string): Record<string, string | undefined> | undefined;
  };
  httpAdmin: {
    post(path: string, ...handlers: AdminHandler[]): void;
    get(path: string, ...handlers: AdminHandler[]): void;
  };
  auth: {
    needsPermission(permission: string): AdminHandler;
  };
  /** Translates a key of this module's catalog (`nodes/locales/<lang>/<type>.json`). */
  _(key: string, substitutions?: Record<string, string | number>): string;
  log: {
    warn(text: unknown): void;
    debug(text: unknown): void;
  };
}
