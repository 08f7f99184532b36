-- Migration 1, baseline: the schema as of the collapse of the first eight
-- AutoMigrate steps, frozen. SQLite dialect; the MySQL/MariaDB twin is
-- 0001_baseline.mysql.sql and must describe the same tables.
--
-- Produced once by migrating a fresh database with the old steps and reading
-- sqlite_master back (statements copied verbatim, so gorm's SQLite migrator
-- parses them as it parses its own). Never edit this file: a schema change is
-- a new numbered step in migrate.go.
--
-- Format: one statement per line or run of lines, each ending with ";" at the
-- end of a line; lines starting with "--" are comments.

CREATE TABLE `stations` (`id` integer PRIMARY KEY AUTOINCREMENT,`kind` text NOT NULL,`name` text NOT NULL,`address` text NOT NULL,`district` text NOT NULL,`lat` real NOT NULL,`lng` real NOT NULL,`open_hours` text NOT NULL,`phone` text,`created_at` datetime,`updated_at` datetime);
CREATE INDEX `idx_stations_district` ON `stations`(`district`);
CREATE INDEX `idx_stations_kind` ON `stations`(`kind`);
CREATE UNIQUE INDEX `idx_stations_name` ON `stations`(`name`);

CREATE TABLE `communities` (`id` integer PRIMARY KEY AUTOINCREMENT,`name` text NOT NULL,`aliases` text NOT NULL,`station_id` integer NOT NULL,`district` text NOT NULL,`created_at` datetime,`updated_at` datetime);
CREATE UNIQUE INDEX `idx_communities_name` ON `communities`(`name`);
CREATE INDEX `idx_communities_station_id` ON `communities`(`station_id`);

CREATE TABLE `deputies` (`id` integer PRIMARY KEY AUTOINCREMENT,`name` text NOT NULL,`level` text NOT NULL,`deputy_group` text NOT NULL,`station_id` integer NOT NULL,`bio` text NOT NULL,`photo_url` text NOT NULL,`status` text NOT NULL,`term` text NOT NULL,`created_at` datetime,`updated_at` datetime);
CREATE INDEX `idx_deputies_level` ON `deputies`(`level`);
CREATE INDEX `idx_deputies_name` ON `deputies`(`name`);
CREATE INDEX `idx_deputies_station_id` ON `deputies`(`station_id`);
CREATE INDEX `idx_deputies_status` ON `deputies`(`status`);

CREATE TABLE `codes` (`code` text,`kind` text NOT NULL,`target_kind` text NOT NULL,`target_id` integer NOT NULL,`label` text NOT NULL,`scan_count` integer NOT NULL DEFAULT 0,`revoked` numeric NOT NULL DEFAULT false,`expires_at` datetime,`used_at` datetime,`qr_url` text NOT NULL DEFAULT "",`wxa_code` mediumblob,`created_at` datetime,PRIMARY KEY (`code`));
CREATE INDEX `idx_code_target` ON `codes`(`kind`,`target_kind`,`target_id`);

CREATE TABLE `staffs` (`id` integer PRIMARY KEY AUTOINCREMENT,`name` text NOT NULL,`role` text NOT NULL,`username` text,`password_hash` text NOT NULL,`oa_openid` text,`active` numeric NOT NULL DEFAULT true,`created_at` datetime,`updated_at` datetime);
CREATE UNIQUE INDEX `idx_staffs_oa_open_id` ON `staffs`(`oa_openid`);
CREATE INDEX `idx_staffs_role` ON `staffs`(`role`);
CREATE UNIQUE INDEX `idx_staffs_username` ON `staffs`(`username`);

CREATE TABLE `staff_stations` (`staff_id` integer,`station_id` integer,PRIMARY KEY (`staff_id`,`station_id`));

CREATE TABLE `voters` (`id` integer PRIMARY KEY AUTOINCREMENT,`mp_openid` text,`oa_openid` text,`unionid` text,`following` numeric NOT NULL DEFAULT false,`phone_enc` blob,`phone_masked` text NOT NULL DEFAULT "",`created_at` datetime,`updated_at` datetime);
CREATE UNIQUE INDEX `idx_voters_mp_open_id` ON `voters`(`mp_openid`);
CREATE UNIQUE INDEX `idx_voters_oa_open_id` ON `voters`(`oa_openid`);
CREATE INDEX `idx_voters_union_id` ON `voters`(`unionid`);

CREATE TABLE `categories` (`id` integer PRIMARY KEY AUTOINCREMENT,`code` text NOT NULL,`name` text NOT NULL,`hint` text NOT NULL,`accept_days` integer NOT NULL,`reply_days` integer NOT NULL,`sort_order` integer NOT NULL,`created_at` datetime,`updated_at` datetime);
CREATE UNIQUE INDEX `idx_categories_code` ON `categories`(`code`);

CREATE TABLE `departments` (`id` integer PRIMARY KEY AUTOINCREMENT,`name` text NOT NULL,`contact` text NOT NULL,`phone` text NOT NULL,`created_at` datetime,`updated_at` datetime);
CREATE UNIQUE INDEX `idx_departments_name` ON `departments`(`name`);

CREATE TABLE `audit_logs` (`id` integer PRIMARY KEY AUTOINCREMENT,`at` datetime NOT NULL,`actor_kind` text NOT NULL,`actor_id` integer NOT NULL,`action` text NOT NULL,`entity_kind` text NOT NULL,`entity_id` integer NOT NULL,`from_state` text NOT NULL,`to_state` text NOT NULL,`note` text NOT NULL);
CREATE INDEX `idx_audit_entity` ON `audit_logs`(`entity_kind`,`entity_id`);
CREATE INDEX `idx_audit_logs_action` ON `audit_logs`(`action`);
CREATE INDEX `idx_audit_logs_at` ON `audit_logs`(`at`);

CREATE TABLE `notifications` (`id` integer PRIMARY KEY AUTOINCREMENT,`channel` text NOT NULL,`to_user` text NOT NULL,`template_id` text NOT NULL DEFAULT "",`fields` text NOT NULL,`url` text NOT NULL DEFAULT "",`mini_page` text NOT NULL DEFAULT "",`dedupe_key` text NOT NULL,`status` text NOT NULL,`attempts` integer NOT NULL DEFAULT 0,`next_attempt_at` datetime NOT NULL,`lease_until` datetime,`consent_used` numeric NOT NULL DEFAULT false,`last_error` text NOT NULL DEFAULT "",`wechat_msgid` integer NOT NULL DEFAULT 0,`sent_at` datetime,`delivery_status` text NOT NULL DEFAULT "",`station_id` integer,`created_at` datetime,`updated_at` datetime);
CREATE INDEX `idx_notification_due` ON `notifications`(`status`,`next_attempt_at`);
CREATE UNIQUE INDEX `idx_notifications_dedupe_key` ON `notifications`(`dedupe_key`);
CREATE INDEX `idx_notifications_msg_id` ON `notifications`(`wechat_msgid`);
CREATE INDEX `idx_notifications_sent_at` ON `notifications`(`sent_at`);
CREATE INDEX `idx_notifications_station_id` ON `notifications`(`station_id`);
CREATE INDEX `idx_notifications_to_user` ON `notifications`(`to_user`);

CREATE TABLE `subscribe_consents` (`id` integer PRIMARY KEY AUTOINCREMENT,`openid` text NOT NULL,`template_id` text NOT NULL,`remaining` integer NOT NULL DEFAULT 0,`created_at` datetime,`updated_at` datetime);
CREATE UNIQUE INDEX `idx_consent_user_tpl` ON `subscribe_consents`(`openid`,`template_id`);

CREATE TABLE `holidays` (`date` text,`kind` text NOT NULL,`name` text NOT NULL,`created_at` datetime,`updated_at` datetime,PRIMARY KEY (`date`));

CREATE TABLE `reception_rules` (`id` integer PRIMARY KEY AUTOINCREMENT,`station_id` integer NOT NULL,`active` numeric NOT NULL,`day_of_month` integer NOT NULL,`start_time` text NOT NULL,`end_time` text NOT NULL,`slot_minutes` integer NOT NULL,`seats_per_slot` integer NOT NULL,`walk_in_seats` integer NOT NULL,`waitlist` numeric NOT NULL,`waitlist_max` integer NOT NULL,`opens_days_before` integer NOT NULL,`closes_at` text NOT NULL,`created_at` datetime,`updated_at` datetime);
CREATE UNIQUE INDEX `idx_reception_rules_station_id` ON `reception_rules`(`station_id`);

CREATE TABLE `reception_days` (`id` integer PRIMARY KEY AUTOINCREMENT,`station_id` integer NOT NULL,`date` text NOT NULL,`period` text NOT NULL,`status` text NOT NULL,`starts_at` datetime NOT NULL,`ends_at` datetime NOT NULL,`booking_opens_at` datetime NOT NULL,`booking_closes_at` datetime NOT NULL,`waitlist` numeric NOT NULL,`waitlist_max` integer NOT NULL,`rule_hash` text NOT NULL,`rule_snapshot` text NOT NULL,`closed_at` datetime,`created_at` datetime,`updated_at` datetime);
CREATE UNIQUE INDEX `idx_day_station_date` ON `reception_days`(`station_id`,`date`);
CREATE UNIQUE INDEX `idx_day_station_period` ON `reception_days`(`station_id`,`period`);
CREATE INDEX `idx_reception_days_date` ON `reception_days`(`date`);
CREATE INDEX `idx_reception_days_ends_at` ON `reception_days`(`ends_at`);
CREATE INDEX `idx_reception_days_status` ON `reception_days`(`status`);

CREATE TABLE `slots` (`id` integer PRIMARY KEY AUTOINCREMENT,`day_id` integer NOT NULL,`seq` integer NOT NULL,`station_id` integer NOT NULL,`start_at` datetime NOT NULL,`end_at` datetime NOT NULL,`capacity` integer NOT NULL,`confirmed` integer NOT NULL DEFAULT 0,`waitlisted` integer NOT NULL DEFAULT 0,`queue_seq` integer NOT NULL DEFAULT 0,`walk_in_seats` integer NOT NULL,`walk_ins` integer NOT NULL DEFAULT 0,CONSTRAINT `chk_slot_seats` CHECK (confirmed >= 0 AND confirmed <= capacity AND waitlisted >= 0));
CREATE UNIQUE INDEX `idx_slot_day_seq` ON `slots`(`day_id`,`seq`);
CREATE INDEX `idx_slots_station_id` ON `slots`(`station_id`);

CREATE TABLE `roster_entries` (`id` integer PRIMARY KEY AUTOINCREMENT,`day_id` integer NOT NULL,`deputy_id` integer NOT NULL,`created_at` datetime NOT NULL);
CREATE UNIQUE INDEX `idx_roster_day_deputy` ON `roster_entries`(`day_id`,`deputy_id`);
CREATE INDEX `idx_roster_entries_deputy_id` ON `roster_entries`(`deputy_id`);

CREATE TABLE `bookings` (`id` integer PRIMARY KEY AUTOINCREMENT,`voter_id` integer NOT NULL,`slot_id` integer NOT NULL,`day_id` integer NOT NULL,`station_id` integer NOT NULL,`date` text NOT NULL,`status` text NOT NULL,`topic` text NOT NULL,`checkin_code` text NOT NULL,`waitlist_seq` integer NOT NULL DEFAULT 0,`active_key` text,`cancel_reason` text NOT NULL DEFAULT "",`created_at` datetime,`updated_at` datetime,`cancelled_at` datetime,`checked_in_at` datetime);
CREATE UNIQUE INDEX `idx_booking_checkin` ON `bookings`(`day_id`,`checkin_code`);
CREATE INDEX `idx_booking_queue` ON `bookings`(`slot_id`,`status`,`waitlist_seq`);
CREATE UNIQUE INDEX `idx_bookings_active_key` ON `bookings`(`active_key`);
CREATE INDEX `idx_bookings_date` ON `bookings`(`date`);
CREATE INDEX `idx_bookings_station_id` ON `bookings`(`station_id`);
CREATE INDEX `idx_bookings_voter_id` ON `bookings`(`voter_id`);

CREATE TABLE `walk_ins` (`id` integer PRIMARY KEY AUTOINCREMENT,`day_id` integer NOT NULL,`slot_id` integer NOT NULL,`station_id` integer NOT NULL,`name` text NOT NULL,`topic` text NOT NULL,`beyond_seats` numeric NOT NULL,`created_at` datetime);
CREATE INDEX `idx_walk_ins_day_id` ON `walk_ins`(`day_id`);

CREATE TABLE `reception_records` (`id` integer PRIMARY KEY AUTOINCREMENT,`day_id` integer NOT NULL,`deputy_id` integer NOT NULL,`station_id` integer NOT NULL,`date` text NOT NULL,`voters_received` integer NOT NULL,`checked_in` integer NOT NULL,`walk_ins` integer NOT NULL,`no_shows` integer NOT NULL,`created_at` datetime);
CREATE INDEX `idx_reception_records_date` ON `reception_records`(`date`);
CREATE INDEX `idx_reception_records_deputy_id` ON `reception_records`(`deputy_id`);
CREATE INDEX `idx_reception_records_station_id` ON `reception_records`(`station_id`);
CREATE UNIQUE INDEX `idx_record_day_deputy` ON `reception_records`(`day_id`,`deputy_id`);

CREATE TABLE `scan_events` (`id` integer PRIMARY KEY AUTOINCREMENT,`dedupe_key` text NOT NULL,`code` text NOT NULL,`voter_openid` text NOT NULL,`event` text NOT NULL,`at` datetime NOT NULL);
CREATE INDEX `idx_scan_code_at` ON `scan_events`(`code`,`at`);
CREATE UNIQUE INDEX `idx_scan_events_dedupe_key` ON `scan_events`(`dedupe_key`);

CREATE TABLE `opinions` (`id` integer PRIMARY KEY AUTOINCREMENT,`tracking_no` text NOT NULL,`voter_id` integer NOT NULL,`idempotency_key` text,`source` text NOT NULL,`category_id` integer NOT NULL,`content` text NOT NULL,`anonymous` numeric NOT NULL,`station_id` integer NOT NULL,`deputy_id` integer,`route_rule` text NOT NULL,`route_reason` text NOT NULL,`community_id` integer,`lat` real,`lng` real,`code` text NOT NULL,`returned_from` text NOT NULL,`return_count` integer NOT NULL,`status` text NOT NULL,`round` integer NOT NULL,`handler_staff_id` integer,`department_id` integer,`transfer_due_at` datetime,`reply_text` text NOT NULL,`replied_at` datetime,`closed_at` datetime,`escalated` numeric NOT NULL,`escalated_at` datetime,`accept_days` integer NOT NULL,`reply_days` integer NOT NULL,`accept_start_at` datetime NOT NULL,`accept_due_at` datetime NOT NULL,`accepted_at` datetime,`reply_start_at` datetime NOT NULL,`reply_due_at` datetime NOT NULL,`accept_overdue_at` datetime,`accept_escalated_at` datetime,`reply_overdue_at` datetime,`reply_escalated_at` datetime,`result_asked_at` datetime,`version` integer NOT NULL,`created_at` datetime,`updated_at` datetime);
CREATE UNIQUE INDEX `idx_opinion_idem` ON `opinions`(`voter_id`,`idempotency_key`);
CREATE INDEX `idx_opinion_station` ON `opinions`(`station_id`,`status`);
CREATE INDEX `idx_opinion_status_accept` ON `opinions`(`status`,`accept_due_at`);
CREATE INDEX `idx_opinion_status_reply` ON `opinions`(`status`,`reply_due_at`);
CREATE INDEX `idx_opinion_voter` ON `opinions`(`voter_id`);
CREATE INDEX `idx_opinions_category_id` ON `opinions`(`category_id`);
CREATE INDEX `idx_opinions_department_id` ON `opinions`(`department_id`);
CREATE INDEX `idx_opinions_deputy_id` ON `opinions`(`deputy_id`);
CREATE INDEX `idx_opinions_escalated` ON `opinions`(`escalated`);
CREATE INDEX `idx_opinions_handler_staff_id` ON `opinions`(`handler_staff_id`);
CREATE UNIQUE INDEX `idx_opinions_tracking_no` ON `opinions`(`tracking_no`);

CREATE TABLE `opinion_counters` (`day` text,`seq` integer NOT NULL,PRIMARY KEY (`day`));

CREATE TABLE `opinion_photos` (`id` integer PRIMARY KEY AUTOINCREMENT,`opinion_id` integer NOT NULL,`path` text NOT NULL,`sha256` text NOT NULL,`created_at` datetime);
CREATE INDEX `idx_opinion_photos_opinion_id` ON `opinion_photos`(`opinion_id`);
CREATE INDEX `idx_opinion_photos_path` ON `opinion_photos`(`path`);

CREATE TABLE `opinion_notes` (`id` integer PRIMARY KEY AUTOINCREMENT,`opinion_id` integer NOT NULL,`staff_id` integer NOT NULL,`text` text NOT NULL,`created_at` datetime);
CREATE INDEX `idx_opinion_notes_opinion_id` ON `opinion_notes`(`opinion_id`);

CREATE TABLE `opinion_timeline` (`id` integer PRIMARY KEY AUTOINCREMENT,`opinion_id` integer NOT NULL,`at` datetime NOT NULL,`kind` text NOT NULL,`round` integer NOT NULL,`text` text NOT NULL,`detail` text NOT NULL);
CREATE INDEX `idx_opinion_timeline_opinion_id` ON `opinion_timeline`(`opinion_id`);

CREATE TABLE `opinion_departments` (`id` integer PRIMARY KEY AUTOINCREMENT,`opinion_id` integer NOT NULL,`department_id` integer NOT NULL,`role` text NOT NULL,`created_at` datetime);
CREATE UNIQUE INDEX `idx_opinion_dept` ON `opinion_departments`(`opinion_id`,`department_id`);

CREATE TABLE `opinion_ratings` (`id` integer PRIMARY KEY AUTOINCREMENT,`opinion_id` integer NOT NULL,`round` integer NOT NULL,`stage` text NOT NULL,`voter_id` integer NOT NULL,`station_id` integer NOT NULL,`score` text NOT NULL,`comment` text NOT NULL,`created_at` datetime);
CREATE UNIQUE INDEX `idx_opinion_rating_once` ON `opinion_ratings`(`opinion_id`,`round`,`stage`);
CREATE INDEX `idx_opinion_ratings_station_id` ON `opinion_ratings`(`station_id`);
CREATE INDEX `idx_opinion_ratings_voter_id` ON `opinion_ratings`(`voter_id`);

CREATE TABLE `station_contacts` (`id` integer PRIMARY KEY AUTOINCREMENT,`station_id` integer NOT NULL,`category_id` integer NOT NULL,`staff_id` integer NOT NULL,`created_at` datetime,`updated_at` datetime);
CREATE UNIQUE INDEX `idx_station_contact` ON `station_contacts`(`station_id`,`category_id`);
CREATE INDEX `idx_station_contacts_staff_id` ON `station_contacts`(`staff_id`);

CREATE TABLE `staff_credentials` (`staff_id` integer,`failed_logins` integer NOT NULL DEFAULT 0,`fail_window_start` datetime,`locked_until` datetime,`last_login_at` datetime,`password_changed_at` datetime,`updated_at` datetime,PRIMARY KEY (`staff_id`));

CREATE TABLE `uploads` (`id` integer PRIMARY KEY AUTOINCREMENT,`voter_id` integer NOT NULL,`path` text NOT NULL,`sha256` text NOT NULL,`content_type` text NOT NULL,`size` integer NOT NULL,`width` integer NOT NULL,`height` integer NOT NULL,`created_at` datetime);
CREATE UNIQUE INDEX `idx_uploads_path` ON `uploads`(`path`);
CREATE INDEX `idx_uploads_sha256` ON `uploads`(`sha256`);
CREATE INDEX `idx_uploads_voter_id` ON `uploads`(`voter_id`);
