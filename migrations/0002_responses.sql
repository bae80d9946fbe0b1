-- Stored responses of the OpenAI Responses API door (previous_response_id, GET/DELETE /v1/responses/{id}).
CREATE TABLE "responses" (
	"id" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"model" text NOT NULL,
	"status" text NOT NULL,
	"response" jsonb NOT NULL,
	"input_items" jsonb NOT NULL,
	"output_items" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "responses_owner_idx" ON "responses" USING btree ("owner");
--> statement-breakpoint
CREATE INDEX "responses_expires_idx" ON "responses" USING btree ("expires_at");
