/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Base URL of the four Fashion-MNIST files in a static build (default `fashion-mnist/` beside the page). */
  readonly VITE_FASHION_MNIST_URL?: string;
  /** Where the optimization chapter is published; the views link to its sections. */
  readonly VITE_CHAPTER_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
