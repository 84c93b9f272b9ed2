// esbuild bundles imported CSS into dist/media/chat.css.
declare module "*.css";
