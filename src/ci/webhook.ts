import type { Progress } from "../core/progress.js";

/** What blastwall tells a chat channel about. */
export interface NotifyEvent {
  event: "promote" | "rollback" | "pause";
  /** The Worker (promote, rollback) or the queue (pause). */
  subject: string;
  target: string;
  /** The decision with its numbers, as the CLI printed it. */
  message: string;
  /** A link to the report, e.g. the CI run or its artifact. */
  link?: string;
}

/** The env var that turns notifications on: an incoming-webhook URL (Slack, or anything that takes its JSON). */
export const WEBHOOK_ENV = "BLASTWALL_WEBHOOK_URL";

const TITLES: Record<NotifyEvent["event"], string> = {
  promote: ":white_check_mark: promoted",
  rollback: ":rotating_light: rolled back",
  pause: ":double_vertical_bar: paused",
};

/**
 * A Slack-compatible incoming-webhook body: `text` for notifications and clients without blocks, and the same
 * content as blocks.
 *
 * @example
 * slackPayload({ event: "rollback", subject: "shop-api", target: "cloudflare", message: "canary 5xx 4.1% ..." });
 */
export function slackPayload({ event, subject, target, message, link }: NotifyEvent) {
  const title = `${TITLES[event]}: ${subject} (${target})`;
  return {
    text: `${title}\n${message}${link ? `\n${link}` : ""}`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${title}*\n${message}` } },
      ...(link ? [{ type: "context", elements: [{ type: "mrkdwn", text: `<${link}|report>` }] }] : []),
    ],
  };
}

export interface NotifyOptions {
  /** Where to post; by default the env var BLASTWALL_WEBHOOK_URL (unset: nothing is sent). */
  url?: string;
  env?: NodeJS.ProcessEnv;
  /** Warnings go here: a notification never fails the operation it reports. */
  out?: Pick<Progress, "warn">;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * Posts the event to the webhook, if one is configured. Never throws: a chat outage must not fail a rollback.
 *
 * @example
 * await notify({ event: "promote", subject: "shop-api", target: "cloudflare", message: report.reason }, { out });
 */
export async function notify(
  event: NotifyEvent,
  { env = process.env, url = env[WEBHOOK_ENV], out, timeoutMs = 5000, fetch: doFetch = fetch }: NotifyOptions = {},
): Promise<boolean> {
  if (!url) return false;
  const link =
    event.link ??
    (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined);
  try {
    const res = await doFetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(slackPayload({ ...event, ...(link ? { link } : {}) })),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    if (!res.ok) out?.warn(`webhook answered ${res.status}; the ${event.event} itself went through`);
    return res.ok;
  } catch (err) {
    out?.warn(`webhook not reached (${(err as Error).message}); the ${event.event} itself went through`);
    return false;
  }
}
