export {
  ARTICLES_MODEL,
  DEFAULT_CONTACT,
  createArticlesUpstream,
  type ArticlesUpstreamOptions,
} from './responder.js';
export {
  DEFAULT_CONFIDENCE_THRESHOLD,
  DEFAULT_KB_DIR,
  KnowledgeBaseError,
  loadKnowledgeBase,
  parseArticle,
  type Article,
  type KnowledgeBase,
  type SearchHit,
} from './knowledge-base.js';
