-- Governance: users and teams with policy, the model catalogue, integer micro-dollar costs, and the counters
-- that rate limits and budgets are checked against. Money columns are bigint micro-dollars (1 USD = 1,000,000).
CREATE TABLE "users" (
	"email" text PRIMARY KEY NOT NULL,
	"allowed_models" text[],
	"rpm_limit" integer,
	"tpm_limit" integer,
	"budget_daily_micros" bigint,
	"budget_monthly_micros" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "teams" (
	"name" text PRIMARY KEY NOT NULL,
	"allowed_models" text[],
	"rpm_limit" integer,
	"tpm_limit" integer,
	"budget_daily_micros" bigint,
	"budget_monthly_micros" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" DROP COLUMN "budget_usd";
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "budget_daily_micros" bigint;
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "budget_monthly_micros" bigint;
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "replaced_by" text;
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;
--> statement-breakpoint
CREATE TABLE "models" (
	"alias" text PRIMARY KEY NOT NULL,
	"aliases" text[] DEFAULT '{}' NOT NULL,
	"kind" text DEFAULT 'chat' NOT NULL,
	"targets" jsonb NOT NULL,
	"price" jsonb,
	"long_context" jsonb,
	"capabilities" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"source" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "usage_events" ALTER COLUMN "key_id" DROP NOT NULL;
--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "auth" text DEFAULT 'key' NOT NULL;
--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "cost_micros" bigint DEFAULT 0 NOT NULL;
--> statement-breakpoint
UPDATE "usage_events" SET "cost_micros" = round("cost_usd" * 1000000)::bigint;
--> statement-breakpoint
ALTER TABLE "usage_events" DROP COLUMN "cost_usd";
--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "cost_known" boolean DEFAULT true NOT NULL;
--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "price" jsonb;
--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "target_region" text;
--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "lease" jsonb;
--> statement-breakpoint
CREATE TABLE "rate_windows" (
	"subject" text NOT NULL,
	"window_start" bigint NOT NULL,
	"requests" integer DEFAULT 0 NOT NULL,
	"tokens" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "rate_windows_pk" PRIMARY KEY ("subject", "window_start")
);
--> statement-breakpoint
CREATE TABLE "spend_ledger" (
	"subject" text NOT NULL,
	"period" text NOT NULL,
	"spent_micros" bigint DEFAULT 0 NOT NULL,
	"reserved_micros" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "spend_ledger_pk" PRIMARY KEY ("subject", "period")
);
--> statement-breakpoint
CREATE TABLE "admin_sessions" (
	"id_hash" text PRIMARY KEY NOT NULL,
	"csrf_token" text NOT NULL,
	"client_ip" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
-- Spend so far, per key, user and team and per UTC day ("d2026-12-02") and month ("m2026-12").
INSERT INTO "spend_ledger" ("subject", "period", "spent_micros")
SELECT s.subject, p.period, sum(u.cost_micros)
FROM "usage_events" u
CROSS JOIN LATERAL (VALUES ('key:' || u.key_id), ('user:' || u.user_email), ('team:' || u.team)) AS s(subject)
CROSS JOIN LATERAL (VALUES ('d' || to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')), ('m' || to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM'))) AS p(period)
WHERE s.subject IS NOT NULL
GROUP BY s.subject, p.period;
--> statement-breakpoint
CREATE INDEX "usage_events_auth_created_idx" ON "usage_events" USING btree ("auth", "created_at");
--> statement-breakpoint
-- Admission in one round trip: checks every rate limit and budget of a request (key, user, team) under row
-- locks, and either counts and reserves against all of them or changes nothing and says which one refused.
-- p = {"window": minute number, "day": "d…", "month": "m…", "tokens": n, "cost": micros,
--      "checks": [{"subject": "key:…", "rpm": n, "tpm": n, "daily": micros, "monthly": micros}]}
-- (a limit is present only when set; callers sort checks by subject so concurrent admissions lock in one order).
CREATE FUNCTION "bgw_admit"(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	c jsonb;
	w bigint := (p->>'window')::bigint;
	tok bigint := (p->>'tokens')::bigint;
	cost bigint := (p->>'cost')::bigint;
	per text;
	pname text;
	used_req integer;
	used_tok bigint;
	spent bigint;
	reserved bigint;
	fresh integer;
	rates jsonb := '[]'::jsonb;
BEGIN
	FOR c IN SELECT value FROM jsonb_array_elements(p->'checks') LOOP
		IF c ? 'rpm' OR c ? 'tpm' THEN
			INSERT INTO rate_windows (subject, window_start) VALUES (c->>'subject', w) ON CONFLICT DO NOTHING;
			GET DIAGNOSTICS fresh = ROW_COUNT;
			IF fresh > 0 THEN
				DELETE FROM rate_windows WHERE subject = c->>'subject' AND window_start < w - 1;
			END IF;
			SELECT requests, tokens INTO used_req, used_tok FROM rate_windows WHERE subject = c->>'subject' AND window_start = w FOR UPDATE;
			IF c ? 'rpm' AND used_req + 1 > (c->>'rpm')::bigint THEN
				RETURN jsonb_build_object('ok', false, 'subject', c->>'subject', 'limit', 'rpm', 'max', (c->>'rpm')::bigint, 'used', used_req);
			END IF;
			IF c ? 'tpm' AND used_tok + tok > (c->>'tpm')::bigint THEN
				RETURN jsonb_build_object('ok', false, 'subject', c->>'subject', 'limit', 'tpm', 'max', (c->>'tpm')::bigint, 'used', used_tok);
			END IF;
			rates := rates || jsonb_build_object('subject', c->>'subject', 'requests', used_req + 1, 'tokens', used_tok + tok);
		END IF;
		FOREACH per IN ARRAY ARRAY['daily', 'monthly'] LOOP
			IF c ? per THEN
				pname := CASE per WHEN 'daily' THEN p->>'day' ELSE p->>'month' END;
				INSERT INTO spend_ledger (subject, period) VALUES (c->>'subject', pname) ON CONFLICT DO NOTHING;
				SELECT spent_micros, reserved_micros INTO spent, reserved FROM spend_ledger WHERE subject = c->>'subject' AND spend_ledger.period = pname FOR UPDATE;
				IF spent + reserved + cost > (c->>per)::bigint THEN
					RETURN jsonb_build_object('ok', false, 'subject', c->>'subject', 'limit', per, 'max', (c->>per)::bigint, 'used', spent + reserved, 'spent', spent);
				END IF;
			END IF;
		END LOOP;
	END LOOP;
	FOR c IN SELECT value FROM jsonb_array_elements(p->'checks') LOOP
		IF c ? 'rpm' OR c ? 'tpm' THEN
			UPDATE rate_windows SET requests = requests + 1, tokens = tokens + tok WHERE subject = c->>'subject' AND window_start = w;
		END IF;
		IF c ? 'daily' THEN
			UPDATE spend_ledger SET reserved_micros = reserved_micros + cost WHERE subject = c->>'subject' AND spend_ledger.period = p->>'day';
		END IF;
		IF c ? 'monthly' THEN
			UPDATE spend_ledger SET reserved_micros = reserved_micros + cost WHERE subject = c->>'subject' AND spend_ledger.period = p->>'month';
		END IF;
	END LOOP;
	RETURN jsonb_build_object('ok', true, 'rates', rates);
END
$$;
--> statement-breakpoint
-- For dashboards (Grafana, Metabase): spend per UTC day, user, team, key and model; cost in micro-dollars and USD.
CREATE VIEW "usage_daily" AS
SELECT (u.created_at AT TIME ZONE 'UTC')::date AS day, u.user_email, u.team, u.key_id, k.prefix AS key_prefix, k.name AS key_name, u.model,
	count(*) AS requests, count(*) FILTER (WHERE u.status <> 'ok') AS errors,
	sum(u.input_tokens) AS input_tokens, sum(u.output_tokens) AS output_tokens,
	sum(u.cache_read_tokens) AS cache_read_tokens, sum(u.cache_write_tokens) AS cache_write_tokens,
	sum(u.cost_micros) AS cost_micros, (sum(u.cost_micros)::numeric / 1000000)::numeric(20, 6) AS cost_usd
FROM usage_events u LEFT JOIN api_keys k ON k.id = u.key_id
GROUP BY 1, 2, 3, 4, 5, 6, 7;
