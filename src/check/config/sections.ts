import {
  type DurableObjectMigration,
  isRecord,
  type WorkerSettings,
  type WranglerConfig,
} from "../../project/wrangler-config.js";

export type KeyPath = (string | number)[];

/** One deployable section of a config: the top level, or one `env.<name>` with wrangler's inheritance applied. */
export interface ConfigSection {
  /** undefined for the top level. */
  env?: string;
  /** Where the section's own keys are written: [] or ["env", name]. */
  prefix: KeyPath;
  settings: WorkerSettings;
  raw: Record<string, unknown>;
  /** The Worker name wrangler deploys this section as (`<name>-<env>` unless the env sets its own). */
  scriptName?: string;
  /** Effective migrations (an env without `migrations` inherits the top level's), and where they are written. */
  migrations: DurableObjectMigration[];
  migrationsAt: KeyPath;
  /** True when this section writes `migrations` itself (not inherited). */
  ownMigrations: boolean;
  exports?: Record<string, unknown>;
  exportsAt: KeyPath;
  ownExports: boolean;
  compatibilityDate?: string;
  compatibilityFlags: string[];
  compatibilityAt: KeyPath;
}

/**
 * The top level and each env of a config. `migrations`, `exports` and the compatibility settings are inherited by
 * envs that don't set them; bindings (`durable_objects`, `queues`) are not, as in wrangler.
 *
 * @example
 * configSections(cfg).map((s) => s.env ?? "(top level)");
 */
export function configSections(cfg: WranglerConfig): ConfigSection[] {
  const top: ConfigSection = {
    prefix: [],
    settings: cfg,
    raw: cfg.raw,
    scriptName: cfg.name,
    migrations: cfg.migrations,
    migrationsAt: ["migrations"],
    ownMigrations: "migrations" in cfg.raw,
    exports: isRecord(cfg.raw.exports) ? cfg.raw.exports : undefined,
    exportsAt: ["exports"],
    ownExports: "exports" in cfg.raw,
    compatibilityDate: cfg.compatibility_date,
    compatibilityFlags: cfg.compatibility_flags,
    compatibilityAt: ["compatibility_date"],
  };
  const out = [top];
  const rawEnv = isRecord(cfg.raw.env) ? cfg.raw.env : {};
  for (const [name, settings] of Object.entries(cfg.env)) {
    const raw = isRecord(rawEnv[name]) ? rawEnv[name] : {};
    const prefix = ["env", name];
    const ownMigrations = "migrations" in raw;
    const ownExports = "exports" in raw;
    const ownDate = "compatibility_date" in raw;
    out.push({
      env: name,
      prefix,
      settings,
      raw,
      scriptName: settings.name ?? (cfg.name ? `${cfg.name}-${name}` : undefined),
      migrations: ownMigrations ? settings.migrations : top.migrations,
      migrationsAt: ownMigrations ? [...prefix, "migrations"] : top.migrationsAt,
      ownMigrations,
      exports: ownExports ? (isRecord(raw.exports) ? raw.exports : undefined) : top.exports,
      exportsAt: ownExports ? [...prefix, "exports"] : top.exportsAt,
      ownExports,
      compatibilityDate: ownDate ? settings.compatibility_date : top.compatibilityDate,
      compatibilityFlags: "compatibility_flags" in raw ? settings.compatibility_flags : top.compatibilityFlags,
      compatibilityAt: ownDate ? [...prefix, "compatibility_date"] : top.compatibilityAt,
    });
  }
  return out;
}

export type ClassState = "live" | "deleted" | "renamed" | "transferred";

export interface ClassLifecycle {
  state: ClassState;
  storage: "kv" | "sqlite" | "unknown";
  /** Index of the migration step (or the exports key) that set the state. */
  step: number;
}

/** Replays the migration steps in order and returns each class's final state. */
export function replayMigrations(steps: readonly DurableObjectMigration[]): Map<string, ClassLifecycle> {
  const classes = new Map<string, ClassLifecycle>();
  steps.forEach((m, step) => {
    for (const c of m.new_classes ?? []) classes.set(c, { state: "live", storage: "kv", step });
    for (const c of m.new_sqlite_classes ?? []) classes.set(c, { state: "live", storage: "sqlite", step });
    for (const r of m.renamed_classes ?? []) {
      const from = classes.get(r.from);
      classes.set(r.from, { state: "renamed", storage: from?.storage ?? "unknown", step });
      classes.set(r.to, { state: "live", storage: from?.storage ?? "unknown", step });
    }
    for (const t of m.transferred_classes ?? []) classes.set(t.to, { state: "live", storage: "unknown", step });
    for (const c of m.deleted_classes ?? []) {
      classes.set(c, { state: "deleted", storage: classes.get(c)?.storage ?? "unknown", step });
    }
  });
  return classes;
}

/** The state of each Durable Object class declared in the `exports` form. */
export function exportsLifecycle(exports: Record<string, unknown>): Map<string, ClassLifecycle> {
  const classes = new Map<string, ClassLifecycle>();
  Object.entries(exports).forEach(([name, decl], step) => {
    if (!isRecord(decl) || (decl.type !== undefined && decl.type !== "durable-object")) return;
    const s = decl.state;
    const state: ClassState =
      s === "deleted" ? "deleted" : s === "renamed" ? "renamed" : s === "transferred" ? "transferred" : "live";
    classes.set(name, { state, storage: decl.storage === "sqlite" ? "sqlite" : "unknown", step });
  });
  return classes;
}

/** Final class states of a section, from `exports` when it uses that form, else from its migrations. */
export function sectionClasses(section: ConfigSection): Map<string, ClassLifecycle> {
  return section.exports ? exportsLifecycle(section.exports) : replayMigrations(section.migrations);
}
