-- A lease's release is applied once: bgw_release takes the lease's id and records it, so a release retried after
-- a lost answer (the connection cut after the commit) does nothing the second time. Applying it twice would free
-- room that requests are using, and a budget could be passed. Ids older than two days are forgotten (a lease
-- lives seconds).
CREATE TABLE "admission_releases" (
	"id" text PRIMARY KEY NOT NULL,
	"released_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "admission_releases_released_at_idx" ON "admission_releases" ("released_at");
--> statement-breakpoint
DROP FUNCTION "bgw_release"(jsonb);
--> statement-breakpoint
-- p = {"id", "window", "day", "month", "requests", "tokens", "cost", "checks"}: the unused totals under the checks
-- the lease was taken with. Rows are locked in admission's order (per subject: its rate window, then its day and
-- month ledger rows); nothing goes below zero. Returns whether this call applied it (false: already applied).
CREATE FUNCTION "bgw_release"(p jsonb) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	c jsonb;
	w bigint := (p->>'window')::bigint;
	req bigint := (p->>'requests')::bigint;
	tok bigint := (p->>'tokens')::bigint;
	cost bigint := (p->>'cost')::bigint;
	fresh integer;
BEGIN
	INSERT INTO admission_releases (id) VALUES (p->>'id') ON CONFLICT DO NOTHING;
	GET DIAGNOSTICS fresh = ROW_COUNT;
	IF fresh = 0 THEN
		RETURN false;
	END IF;
	DELETE FROM admission_releases WHERE released_at < now() - interval '2 days';
	FOR c IN SELECT value FROM jsonb_array_elements(p->'checks') LOOP
		IF (c ? 'rpm' OR c ? 'tpm') AND (req > 0 OR tok > 0) THEN
			UPDATE rate_windows SET requests = greatest(0, requests - req), tokens = greatest(0, tokens - tok)
				WHERE subject = c->>'subject' AND window_start = w;
		END IF;
		IF c ? 'daily' AND cost > 0 THEN
			UPDATE spend_ledger SET reserved_micros = greatest(0, reserved_micros - cost) WHERE subject = c->>'subject' AND period = p->>'day';
		END IF;
		IF c ? 'monthly' AND cost > 0 THEN
			UPDATE spend_ledger SET reserved_micros = greatest(0, reserved_micros - cost) WHERE subject = c->>'subject' AND period = p->>'month';
		END IF;
	END LOOP;
	RETURN true;
END
$$;
