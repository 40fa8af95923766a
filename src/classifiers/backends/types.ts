/**
 * What every classifier back-end implements. The hub (`hub.ts`) chunks long
 * texts, removes duplicates and merges chunk results; a back-end only scores
 * the texts it is given.
 */
import type { CheckContext, ClassifiedItem, ImageRef } from '../../pipeline/types.js';
import type { ClassifierKind } from '../../shared/classifier-backend-config.js';

export interface Backend {
  /** `local`, `provider`, `judge`, `onnx`, `cascade` */
  readonly id: string;
  /** Longest text per call this back-end wants; the hub chunks to the smaller of this and the check's `chunkChars`. */
  readonly maxChars?: number;
  /** One item per text, in order. Rejects when the back-end cannot answer. */
  score(kind: ClassifierKind, texts: readonly string[], ctx: CheckContext): Promise<ClassifiedItem[]> | ClassifiedItem[];
  /** Scores images (one combined item per image); only back-ends that read images implement it. */
  scoreImages?(images: readonly ImageRef[], ctx: CheckContext): Promise<ClassifiedItem[]>;
}
