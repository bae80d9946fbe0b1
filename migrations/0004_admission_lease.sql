-- Admission leases: an instance that admits many requests of one caller takes room for several at once, so the
-- requests after the first are admitted in memory until that room is used up (src/db/admit.ts).
-- bgw_admit takes an optional p.want (default 1): the most requests to take. It refuses exactly as before when not
-- even one fits; otherwise it takes the most that fit every limit, up to want, and says how many in 'granted': each
-- counts one request and p.tokens tokens against every rate window and reserves p.cost against every budget.
-- 'rates' are the counts as the first of them sees them. With want absent or 1 it is the function it replaces.
CREATE OR REPLACE FUNCTION "bgw_admit"(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	c jsonb;
	w bigint := (p->>'window')::bigint;
	tok bigint := (p->>'tokens')::bigint;
	cost bigint := (p->>'cost')::bigint;
	n bigint := greatest(1, coalesce((p->>'want')::bigint, 1));
	per text;
	pname text;
	cap bigint;
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
			IF c ? 'rpm' THEN
				cap := (c->>'rpm')::bigint;
				IF used_req + 1 > cap THEN
					RETURN jsonb_build_object('ok', false, 'subject', c->>'subject', 'limit', 'rpm', 'max', cap, 'used', used_req);
				END IF;
				n := least(n, cap - used_req);
			END IF;
			IF c ? 'tpm' THEN
				cap := (c->>'tpm')::bigint;
				IF used_tok + tok > cap THEN
					RETURN jsonb_build_object('ok', false, 'subject', c->>'subject', 'limit', 'tpm', 'max', cap, 'used', used_tok);
				END IF;
				IF tok > 0 THEN
					n := least(n, (cap - used_tok) / tok);
				END IF;
			END IF;
			rates := rates || jsonb_build_object('subject', c->>'subject', 'requests', used_req + 1, 'tokens', used_tok + tok);
		END IF;
		FOREACH per IN ARRAY ARRAY['daily', 'monthly'] LOOP
			IF c ? per THEN
				pname := CASE per WHEN 'daily' THEN p->>'day' ELSE p->>'month' END;
				INSERT INTO spend_ledger (subject, period) VALUES (c->>'subject', pname) ON CONFLICT DO NOTHING;
				SELECT spent_micros, reserved_micros INTO spent, reserved FROM spend_ledger WHERE subject = c->>'subject' AND spend_ledger.period = pname FOR UPDATE;
				cap := (c->>per)::bigint;
				IF spent + reserved + cost > cap THEN
					RETURN jsonb_build_object('ok', false, 'subject', c->>'subject', 'limit', per, 'max', cap, 'used', spent + reserved, 'spent', spent);
				END IF;
				IF cost > 0 THEN
					n := least(n, (cap - spent - reserved) / cost);
				END IF;
			END IF;
		END LOOP;
	END LOOP;
	FOR c IN SELECT value FROM jsonb_array_elements(p->'checks') LOOP
		IF c ? 'rpm' OR c ? 'tpm' THEN
			UPDATE rate_windows SET requests = requests + n, tokens = tokens + n * tok WHERE subject = c->>'subject' AND window_start = w;
		END IF;
		IF c ? 'daily' THEN
			UPDATE spend_ledger SET reserved_micros = reserved_micros + n * cost WHERE subject = c->>'subject' AND spend_ledger.period = p->>'day';
		END IF;
		IF c ? 'monthly' THEN
			UPDATE spend_ledger SET reserved_micros = reserved_micros + n * cost WHERE subject = c->>'subject' AND spend_ledger.period = p->>'month';
		END IF;
	END LOOP;
	RETURN jsonb_build_object('ok', true, 'rates', rates, 'granted', n);
END
$$;
--> statement-breakpoint
-- Gives back what a lease took and no request used: p = {"window", "day", "month", "requests", "tokens", "cost",
-- "checks"} as bgw_admit's, with requests, tokens and cost the unused totals. Rows are locked in admission's order
-- (per subject: its rate window, then its day and month ledger rows); nothing goes below zero. Returns nothing.
CREATE FUNCTION "bgw_release"(p jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	c jsonb;
	w bigint := (p->>'window')::bigint;
	req bigint := (p->>'requests')::bigint;
	tok bigint := (p->>'tokens')::bigint;
	cost bigint := (p->>'cost')::bigint;
BEGIN
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
END
$$;
