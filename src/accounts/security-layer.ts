/**
 * Builds the gateway-side security services from the configuration, for the
 * composition root (`app.ts`): access control (limits, levels, strikes,
 * suspensions), the identity map for abuse lookups, encrypted upstream keys,
 * leaked-key handling and administrator notices.
 *
 * Limits are counted in process by default and in Redis when `redis.url` is
 * set (shared by every replica); with Redis, key revocations also reach every
 * replica at once.
 */
import type { Logger } from 'pino';
import { resolveLevelLimits } from '../config/access-schema.js';
import type { LoadedConfig } from '../config/load.js';
import type { SafetyIds } from '../identity/safety-id.js';
import type { CheckServices } from '../pipeline/types.js';
import { allowAll, type AccessControl } from '../services/access.js';
import type { Store } from '../storage/types.js';
import { AbuseTracker, strikePolicy, type Transition } from './abuse.js';
import { SafegateAccess, type LevelSource } from './access-control.js';
import type { GatewayKeys } from './gateway-keys.js';
import { Identities } from './identities.js';
import { RedisKeyChangeBus } from './key-change-bus.js';
import { LeakHandler } from './leaks.js';
import { MemoryLimitStore } from './limits/memory.js';
import { RedisLimitStore } from './limits/redis.js';
import type { LimitStore } from './limits/types.js';
import { fanOut, LogNotifier, MailNotifier, WebhookNotifier, type MailFunction, type Notifier } from './notifier.js';
import { loadMasterKeyring, SecretBox } from './secret-box.js';
import { UpstreamKeys } from './upstream-keys.js';

export interface SecurityLayerOptions {
  loaded: LoadedConfig;
  store: Store;
  keys: GatewayKeys;
  safetyIds: SafetyIds;
  logger: Logger;
  /** verification levels of users with accounts (default: named users are `registered`) */
  levelSource?: LevelSource;
  /** sends administrator email (the accounts layer's mailer) */
  mail?: MailFunction;
  /** replaces the limit store chosen from the configuration (tests) */
  limits?: LimitStore;
  /** replaces the built notifiers (tests) */
  notifier?: Notifier;
}

export interface SecurityLayer {
  /** the gateway's AccessControl (allow-all when `access.enabled` is false) */
  access: AccessControl;
  /** the full access control, also when disabled for requests (tests wait on `idle()`) */
  safegateAccess: SafegateAccess;
  abuse: AbuseTracker;
  identities: Identities;
  box: SecretBox;
  limits: LimitStore;
  upstreamKeys: UpstreamKeys;
  leaks: LeakHandler;
  notifier: Notifier;
  /** services the secrets check uses: `reportLeak`, `isUpstreamKey` */
  services: Pick<CheckServices, 'reportLeak' | 'isUpstreamKey'>;
  close(): Promise<void>;
}

export async function createSecurityLayer(o: SecurityLayerOptions): Promise<SecurityLayer> {
  const { config, env } = o.loaded;
  const access = config.access;
  const keyring = loadMasterKeyring({ dataDir: config.dataDir, env: env.masterKey, create: true });
  if (keyring.source === 'generated') o.logger.info({ file: keyring.file }, 'generated a master key for secrets at rest; back it up, or set SAFEGATE_MASTER_KEY');
  const box = new SecretBox(keyring.keys);
  // A keyring file is re-read, so that `safegate master-key rotate` reaches running gateways without a restart.
  const keyringTimer = keyring.file
    ? setInterval(() => {
        try {
          box.replaceKeys(loadMasterKeyring({ dataDir: config.dataDir, create: false }).keys);
        } catch (err) {
          o.logger.error({ err: (err as Error).message }, 'reloading the master keyring failed; keeping the loaded keys');
        }
      }, access.upstreamKeys.refreshInterval)
    : null;
  keyringTimer?.unref();

  const notifiers: Notifier[] = [new LogNotifier(o.logger)];
  if (access.notify.webhook) {
    notifiers.push(new WebhookNotifier({ url: access.notify.webhook.url, ...(access.notify.webhook.secret ? { secret: access.notify.webhook.secret } : {}) }));
  }
  if (o.mail && access.notify.emails.length > 0) notifiers.push(new MailNotifier(o.mail, access.notify.emails));
  const notifier = o.notifier ?? fanOut(notifiers, (err) => o.logger.warn({ err: (err as Error)?.message }, 'a security notice could not be delivered'));

  const limits =
    o.limits ??
    (config.redis.url
      ? new RedisLimitStore({ redis: config.redis.url, onError: (err) => o.logger.warn({ err: err.message }, 'redis connection problem (limits)') })
      : new MemoryLimitStore());

  const abuse = new AbuseTracker({
    repo: o.store.userState,
    events: o.store.securityEvents,
    policy: strikePolicy(access.strikes),
    cacheTtlMs: access.stateCacheTtl,
    onTransition: (t) => notifyTransition(notifier, t),
  });
  const identities = new Identities({ repo: o.store.identities, box, safetyIds: o.safetyIds });
  const safegateAccess = new SafegateAccess({
    limits,
    abuse,
    identities,
    levels: resolveLevelLimits(access),
    appeal: access.appeal,
    defaultPolicy: config.defaultPolicy,
    logger: o.logger,
    ...(o.levelSource ? { levelSource: o.levelSource } : {}),
  });

  const upstreamKeys = new UpstreamKeys({
    repo: o.store.upstreamKeys,
    box,
    events: o.store.securityEvents,
    refreshMs: access.upstreamKeys.refreshInterval,
    onError: (message, details) => o.logger.error(details, message),
  });
  for (const [name, upstream] of Object.entries(config.upstreams)) if (upstream.apiKey) upstreamKeys.registerConfigured(name, upstream.apiKey);
  await upstreamKeys.start();

  let bus: RedisKeyChangeBus | null = null;
  if (config.redis.url) {
    bus = new RedisKeyChangeBus({ url: config.redis.url, onError: (err) => o.logger.warn({ err: err.message }, 'redis connection problem (key changes)') });
    const b = bus;
    o.keys.onChange((id) => {
      b.publish(id).catch((err: Error) => o.logger.warn({ err: err.message, keyId: id }, 'could not broadcast a key change; other replicas apply it within their key cache time'));
    });
    await bus.subscribe((id) => o.keys.forget(id)).catch((err: Error) => o.logger.warn({ err: err.message }, 'could not subscribe to key changes; revocations from elsewhere apply within the key cache time'));
  }

  const leaks = new LeakHandler({ keys: o.keys, events: o.store.securityEvents, notifier, upstreamKeys, logger: o.logger });
  for (const [name, upstream] of Object.entries(config.upstreams)) leaks.setUpstreamUrl(name, upstream.baseUrl);

  return {
    access: access.enabled ? safegateAccess : allowAll,
    safegateAccess,
    abuse,
    identities,
    box,
    limits,
    upstreamKeys,
    leaks,
    notifier,
    services: {
      reportLeak: (leak) => leaks.report(leak),
      isUpstreamKey: (value) => leaks.isUpstreamKey(value),
    },
    async close() {
      upstreamKeys.stop();
      if (keyringTimer) clearInterval(keyringTimer);
      await Promise.allSettled([safegateAccess.idle(), leaks.idle()]);
      await limits.close();
      await bus?.close();
    },
  };
}

function notifyTransition(notifier: Notifier, t: Transition): void {
  if (t.actor !== 'system' || (t.to !== 'suspended' && t.to !== 'review')) return;
  const review = t.to === 'review';
  void notifier.notify({
    type: review ? 'user.review' : 'user.suspended',
    severity: 'warning',
    title: review ? `User ${t.safetyId} needs review` : `User ${t.safetyId} was suspended`,
    text: [
      review
        ? `The user with safety identifier ${t.safetyId} keeps violating the policy while suspended (${t.strikes.toFixed(1)} strikes).`
        : `The user with safety identifier ${t.safetyId} was suspended after repeated blocked or flagged requests (${t.strikes.toFixed(1)} strikes).`,
      '',
      `See who it is and what they sent: safegate users lookup --safety-id ${t.safetyId}`,
      `Lift the suspension: safegate users restore --safety-id ${t.safetyId}`,
    ].join('\n'),
    details: { safetyId: t.safetyId, from: t.from, to: t.to, strikes: Math.round(t.strikes * 100) / 100 },
    time: Date.now(),
  });
}
