/** The devices layer: verbs over a {@link Requester} for plugs, strips and cameras, and the payload parsers. */
export * from './requester';
export { checkReply, checkChildReply, isReadRequest, replyError } from './check';
export * from './smart';
export * from './plug';
export * from './light';
export * from './plug-settings';
export * from './switch';
export * from './camera';
export * from './identify';
export * from './parse';
export * from './onvif-events';
export * from './firmware';
