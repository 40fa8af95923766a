/**
 * Picks the upstream for a model. With no configured upstream, the embedded
 * validated-answers responder answers every model; with configured ones, the
 * responder still serves the model name `safegate-articles`.
 */
import { GatewayError } from '../errors/gateway-error.js';
import { matchModel } from './http-upstream.js';
import { ARTICLES_MODEL } from './articles/index.js';
import type { Upstream } from './types.js';

export interface RouteEntry {
  upstream: Upstream;
  /** model patterns this upstream serves; empty = any */
  models: string[];
}

export class UpstreamRouter {
  constructor(
    private readonly entries: RouteEntry[],
    private readonly articles: Upstream | null,
  ) {}

  /** Upstream for `model`; throws NO_UPSTREAM (404, OpenAI's model_not_found) when none serves it. */
  pick(model: string): Upstream {
    if (this.articles && (model === ARTICLES_MODEL || this.entries.length === 0)) return this.articles;
    const specific = this.entries.find((e) => e.models.length > 0 && e.models.some((p) => matchModel(p, model)));
    if (specific) return specific.upstream;
    const catchAll = this.entries.find((e) => e.models.length === 0);
    if (catchAll) return catchAll.upstream;
    throw new GatewayError('NO_UPSTREAM', { message: `The model \`${model.slice(0, 100)}\` is not served by this gateway.`, param: 'model' });
  }

  /** The upstream used for /v1/moderations: the first configured one, if any. */
  moderation(): Upstream | null {
    return this.entries[0]?.upstream ?? null;
  }

  all(): Upstream[] {
    return [...this.entries.map((e) => e.upstream), ...(this.articles ? [this.articles] : [])];
  }

  async listModels(): Promise<string[]> {
    const lists = await Promise.all(this.all().map((u) => u.listModels().catch(() => [] as string[])));
    return [...new Set(lists.flat())].sort();
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((u) => u.close?.()));
  }
}
