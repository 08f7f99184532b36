-- Migration 1, baseline: the schema as of the collapse of the first eight
-- AutoMigrate steps, frozen. MySQL/MariaDB dialect (utf8mb4, InnoDB); the
-- SQLite twin is 0001_baseline.sqlite.sql and must describe the same tables.
--
-- Produced once by migrating a fresh MariaDB 10.11 database with the old
-- steps and reading SHOW CREATE TABLE back; IF NOT EXISTS was added because
-- MySQL commits DDL statement by statement, so a baseline interrupted half
-- way must be able to run again. Never edit this file: a schema change is a
-- new numbered step in migrate.go.
--
-- Format: statements end with ";" at the end of a line; lines starting with
-- "--" are comments.

CREATE TABLE IF NOT EXISTS `stations` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `kind` varchar(16) NOT NULL,
  `name` varchar(100) NOT NULL,
  `address` varchar(255) NOT NULL,
  `district` varchar(50) NOT NULL,
  `lat` double NOT NULL,
  `lng` double NOT NULL,
  `open_hours` varchar(100) NOT NULL,
  `phone` varchar(30) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_stations_name` (`name`),
  KEY `idx_stations_kind` (`kind`),
  KEY `idx_stations_district` (`district`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `communities` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(100) NOT NULL,
  `aliases` varchar(500) NOT NULL,
  `station_id` bigint(20) unsigned NOT NULL,
  `district` varchar(50) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_communities_name` (`name`),
  KEY `idx_communities_station_id` (`station_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `deputies` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(50) NOT NULL,
  `level` varchar(16) NOT NULL,
  `deputy_group` varchar(100) NOT NULL,
  `station_id` bigint(20) unsigned NOT NULL,
  `bio` varchar(2000) NOT NULL,
  `photo_url` varchar(500) NOT NULL,
  `status` varchar(16) NOT NULL,
  `term` varchar(50) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_deputies_name` (`name`),
  KEY `idx_deputies_level` (`level`),
  KEY `idx_deputies_station_id` (`station_id`),
  KEY `idx_deputies_status` (`status`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `codes` (
  `code` varchar(8) NOT NULL,
  `kind` varchar(16) NOT NULL,
  `target_kind` varchar(16) NOT NULL,
  `target_id` bigint(20) unsigned NOT NULL,
  `label` varchar(100) NOT NULL,
  `scan_count` bigint(20) NOT NULL DEFAULT 0,
  `revoked` tinyint(1) NOT NULL DEFAULT 0,
  `expires_at` datetime(3) DEFAULT NULL,
  `used_at` datetime(3) DEFAULT NULL,
  `qr_url` varchar(255) NOT NULL DEFAULT '',
  `wxa_code` mediumblob DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`code`),
  KEY `idx_code_target` (`kind`,`target_kind`,`target_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `staffs` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(50) NOT NULL,
  `role` varchar(16) NOT NULL,
  `username` varchar(64) DEFAULT NULL,
  `password_hash` varchar(255) NOT NULL,
  `oa_openid` varchar(64) DEFAULT NULL,
  `active` tinyint(1) NOT NULL DEFAULT 1,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_staffs_username` (`username`),
  UNIQUE KEY `idx_staffs_oa_open_id` (`oa_openid`),
  KEY `idx_staffs_role` (`role`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `staff_stations` (
  `staff_id` bigint(20) unsigned NOT NULL,
  `station_id` bigint(20) unsigned NOT NULL,
  PRIMARY KEY (`staff_id`,`station_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `voters` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `mp_openid` varchar(64) DEFAULT NULL,
  `oa_openid` varchar(64) DEFAULT NULL,
  `unionid` varchar(64) DEFAULT NULL,
  `following` tinyint(1) NOT NULL DEFAULT 0,
  `phone_enc` blob DEFAULT NULL,
  `phone_masked` varchar(20) NOT NULL DEFAULT '',
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_voters_mp_open_id` (`mp_openid`),
  UNIQUE KEY `idx_voters_oa_open_id` (`oa_openid`),
  KEY `idx_voters_union_id` (`unionid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `categories` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `code` varchar(32) NOT NULL,
  `name` varchar(50) NOT NULL,
  `hint` varchar(200) NOT NULL,
  `accept_days` bigint(20) NOT NULL,
  `reply_days` bigint(20) NOT NULL,
  `sort_order` bigint(20) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_categories_code` (`code`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `departments` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(100) NOT NULL,
  `contact` varchar(50) NOT NULL,
  `phone` varchar(30) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_departments_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `audit_logs` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `at` datetime(3) NOT NULL,
  `actor_kind` varchar(16) NOT NULL,
  `actor_id` bigint(20) unsigned NOT NULL,
  `action` varchar(40) NOT NULL,
  `entity_kind` varchar(32) NOT NULL,
  `entity_id` bigint(20) unsigned NOT NULL,
  `from_state` varchar(32) NOT NULL,
  `to_state` varchar(32) NOT NULL,
  `note` varchar(2000) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_audit_logs_at` (`at`),
  KEY `idx_audit_logs_action` (`action`),
  KEY `idx_audit_entity` (`entity_kind`,`entity_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `notifications` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `channel` varchar(16) NOT NULL,
  `to_user` varchar(64) NOT NULL,
  `template_id` varchar(64) NOT NULL DEFAULT '',
  `fields` text NOT NULL,
  `url` varchar(500) NOT NULL DEFAULT '',
  `mini_page` varchar(255) NOT NULL DEFAULT '',
  `dedupe_key` varchar(150) NOT NULL,
  `status` varchar(16) NOT NULL,
  `attempts` bigint(20) NOT NULL DEFAULT 0,
  `next_attempt_at` datetime(3) NOT NULL,
  `lease_until` datetime(3) DEFAULT NULL,
  `consent_used` tinyint(1) NOT NULL DEFAULT 0,
  `last_error` varchar(500) NOT NULL DEFAULT '',
  `wechat_msgid` bigint(20) NOT NULL DEFAULT 0,
  `sent_at` datetime(3) DEFAULT NULL,
  `delivery_status` varchar(64) NOT NULL DEFAULT '',
  `station_id` bigint(20) unsigned DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_notifications_dedupe_key` (`dedupe_key`),
  KEY `idx_notifications_to_user` (`to_user`),
  KEY `idx_notification_due` (`status`,`next_attempt_at`),
  KEY `idx_notifications_msg_id` (`wechat_msgid`),
  KEY `idx_notifications_sent_at` (`sent_at`),
  KEY `idx_notifications_station_id` (`station_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `subscribe_consents` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `openid` varchar(64) NOT NULL,
  `template_id` varchar(64) NOT NULL,
  `remaining` bigint(20) NOT NULL DEFAULT 0,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_consent_user_tpl` (`openid`,`template_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `holidays` (
  `date` varchar(10) NOT NULL,
  `kind` varchar(16) NOT NULL,
  `name` varchar(50) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`date`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `reception_rules` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `station_id` bigint(20) unsigned NOT NULL,
  `active` tinyint(1) NOT NULL,
  `day_of_month` bigint(20) NOT NULL,
  `start_time` varchar(5) NOT NULL,
  `end_time` varchar(5) NOT NULL,
  `slot_minutes` bigint(20) NOT NULL,
  `seats_per_slot` bigint(20) NOT NULL,
  `walk_in_seats` bigint(20) NOT NULL,
  `waitlist` tinyint(1) NOT NULL,
  `waitlist_max` bigint(20) NOT NULL,
  `opens_days_before` bigint(20) NOT NULL,
  `closes_at` varchar(5) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_reception_rules_station_id` (`station_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `reception_days` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `station_id` bigint(20) unsigned NOT NULL,
  `date` varchar(10) NOT NULL,
  `period` varchar(7) NOT NULL,
  `status` varchar(16) NOT NULL,
  `starts_at` datetime(3) NOT NULL,
  `ends_at` datetime(3) NOT NULL,
  `booking_opens_at` datetime(3) NOT NULL,
  `booking_closes_at` datetime(3) NOT NULL,
  `waitlist` tinyint(1) NOT NULL,
  `waitlist_max` bigint(20) NOT NULL,
  `rule_hash` varchar(64) NOT NULL,
  `rule_snapshot` text NOT NULL,
  `closed_at` datetime(3) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_day_station_date` (`station_id`,`date`),
  UNIQUE KEY `idx_day_station_period` (`station_id`,`period`),
  KEY `idx_reception_days_date` (`date`),
  KEY `idx_reception_days_status` (`status`),
  KEY `idx_reception_days_ends_at` (`ends_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `slots` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `day_id` bigint(20) unsigned NOT NULL,
  `seq` bigint(20) NOT NULL,
  `station_id` bigint(20) unsigned NOT NULL,
  `start_at` datetime(3) NOT NULL,
  `end_at` datetime(3) NOT NULL,
  `capacity` bigint(20) NOT NULL,
  `confirmed` bigint(20) NOT NULL DEFAULT 0,
  `waitlisted` bigint(20) NOT NULL DEFAULT 0,
  `queue_seq` bigint(20) NOT NULL DEFAULT 0,
  `walk_in_seats` bigint(20) NOT NULL,
  `walk_ins` bigint(20) NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_slot_day_seq` (`day_id`,`seq`),
  KEY `idx_slots_station_id` (`station_id`),
  CONSTRAINT `chk_slot_seats` CHECK (`confirmed` >= 0 and `confirmed` <= `capacity` and `waitlisted` >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `roster_entries` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `day_id` bigint(20) unsigned NOT NULL,
  `deputy_id` bigint(20) unsigned NOT NULL,
  `created_at` datetime(3) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_roster_day_deputy` (`day_id`,`deputy_id`),
  KEY `idx_roster_entries_deputy_id` (`deputy_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `bookings` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `voter_id` bigint(20) unsigned NOT NULL,
  `slot_id` bigint(20) unsigned NOT NULL,
  `day_id` bigint(20) unsigned NOT NULL,
  `station_id` bigint(20) unsigned NOT NULL,
  `date` varchar(10) NOT NULL,
  `status` varchar(16) NOT NULL,
  `topic` varchar(200) NOT NULL,
  `checkin_code` varchar(8) NOT NULL,
  `waitlist_seq` bigint(20) NOT NULL DEFAULT 0,
  `active_key` varchar(40) DEFAULT NULL,
  `cancel_reason` varchar(16) NOT NULL DEFAULT '',
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  `cancelled_at` datetime(3) DEFAULT NULL,
  `checked_in_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_booking_checkin` (`day_id`,`checkin_code`),
  UNIQUE KEY `idx_bookings_active_key` (`active_key`),
  KEY `idx_bookings_voter_id` (`voter_id`),
  KEY `idx_booking_queue` (`slot_id`,`status`,`waitlist_seq`),
  KEY `idx_bookings_station_id` (`station_id`),
  KEY `idx_bookings_date` (`date`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `walk_ins` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `day_id` bigint(20) unsigned NOT NULL,
  `slot_id` bigint(20) unsigned NOT NULL,
  `station_id` bigint(20) unsigned NOT NULL,
  `name` varchar(50) NOT NULL,
  `topic` varchar(200) NOT NULL,
  `beyond_seats` tinyint(1) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_walk_ins_day_id` (`day_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `reception_records` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `day_id` bigint(20) unsigned NOT NULL,
  `deputy_id` bigint(20) unsigned NOT NULL,
  `station_id` bigint(20) unsigned NOT NULL,
  `date` varchar(10) NOT NULL,
  `voters_received` bigint(20) NOT NULL,
  `checked_in` bigint(20) NOT NULL,
  `walk_ins` bigint(20) NOT NULL,
  `no_shows` bigint(20) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_record_day_deputy` (`day_id`,`deputy_id`),
  KEY `idx_reception_records_deputy_id` (`deputy_id`),
  KEY `idx_reception_records_station_id` (`station_id`),
  KEY `idx_reception_records_date` (`date`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `scan_events` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `dedupe_key` varchar(191) NOT NULL,
  `code` varchar(8) NOT NULL,
  `voter_openid` varchar(64) NOT NULL,
  `event` varchar(16) NOT NULL,
  `at` datetime(3) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_scan_events_dedupe_key` (`dedupe_key`),
  KEY `idx_scan_code_at` (`code`,`at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `opinions` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `tracking_no` varchar(24) NOT NULL,
  `voter_id` bigint(20) unsigned NOT NULL,
  `idempotency_key` varchar(64) DEFAULT NULL,
  `source` varchar(16) NOT NULL,
  `category_id` bigint(20) unsigned NOT NULL,
  `content` text NOT NULL,
  `anonymous` tinyint(1) NOT NULL,
  `station_id` bigint(20) unsigned NOT NULL,
  `deputy_id` bigint(20) unsigned DEFAULT NULL,
  `route_rule` varchar(32) NOT NULL,
  `route_reason` varchar(255) NOT NULL,
  `community_id` bigint(20) unsigned DEFAULT NULL,
  `lat` double DEFAULT NULL,
  `lng` double DEFAULT NULL,
  `code` varchar(8) NOT NULL,
  `returned_from` varchar(255) NOT NULL,
  `return_count` bigint(20) NOT NULL,
  `status` varchar(16) NOT NULL,
  `round` bigint(20) NOT NULL,
  `handler_staff_id` bigint(20) unsigned DEFAULT NULL,
  `department_id` bigint(20) unsigned DEFAULT NULL,
  `transfer_due_at` datetime(3) DEFAULT NULL,
  `reply_text` text NOT NULL,
  `replied_at` datetime(3) DEFAULT NULL,
  `closed_at` datetime(3) DEFAULT NULL,
  `escalated` tinyint(1) NOT NULL,
  `escalated_at` datetime(3) DEFAULT NULL,
  `accept_days` bigint(20) NOT NULL,
  `reply_days` bigint(20) NOT NULL,
  `accept_start_at` datetime(3) NOT NULL,
  `accept_due_at` datetime(3) NOT NULL,
  `accepted_at` datetime(3) DEFAULT NULL,
  `reply_start_at` datetime(3) NOT NULL,
  `reply_due_at` datetime(3) NOT NULL,
  `accept_overdue_at` datetime(3) DEFAULT NULL,
  `accept_escalated_at` datetime(3) DEFAULT NULL,
  `reply_overdue_at` datetime(3) DEFAULT NULL,
  `reply_escalated_at` datetime(3) DEFAULT NULL,
  `result_asked_at` datetime(3) DEFAULT NULL,
  `version` bigint(20) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_opinions_tracking_no` (`tracking_no`),
  UNIQUE KEY `idx_opinion_idem` (`voter_id`,`idempotency_key`),
  KEY `idx_opinion_voter` (`voter_id`),
  KEY `idx_opinions_category_id` (`category_id`),
  KEY `idx_opinion_station` (`station_id`,`status`),
  KEY `idx_opinions_deputy_id` (`deputy_id`),
  KEY `idx_opinion_status_accept` (`status`,`accept_due_at`),
  KEY `idx_opinion_status_reply` (`status`,`reply_due_at`),
  KEY `idx_opinions_handler_staff_id` (`handler_staff_id`),
  KEY `idx_opinions_department_id` (`department_id`),
  KEY `idx_opinions_escalated` (`escalated`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `opinion_counters` (
  `day` varchar(8) NOT NULL,
  `seq` bigint(20) NOT NULL,
  PRIMARY KEY (`day`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `opinion_photos` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `opinion_id` bigint(20) unsigned NOT NULL,
  `path` varchar(255) NOT NULL,
  `sha256` varchar(64) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_opinion_photos_opinion_id` (`opinion_id`),
  KEY `idx_opinion_photos_path` (`path`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `opinion_notes` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `opinion_id` bigint(20) unsigned NOT NULL,
  `staff_id` bigint(20) unsigned NOT NULL,
  `text` varchar(2000) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_opinion_notes_opinion_id` (`opinion_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `opinion_timeline` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `opinion_id` bigint(20) unsigned NOT NULL,
  `at` datetime(3) NOT NULL,
  `kind` varchar(16) NOT NULL,
  `round` bigint(20) NOT NULL,
  `text` varchar(255) NOT NULL,
  `detail` text NOT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_opinion_timeline_opinion_id` (`opinion_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `opinion_departments` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `opinion_id` bigint(20) unsigned NOT NULL,
  `department_id` bigint(20) unsigned NOT NULL,
  `role` varchar(8) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_opinion_dept` (`opinion_id`,`department_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `opinion_ratings` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `opinion_id` bigint(20) unsigned NOT NULL,
  `round` bigint(20) NOT NULL,
  `stage` varchar(8) NOT NULL,
  `voter_id` bigint(20) unsigned NOT NULL,
  `station_id` bigint(20) unsigned NOT NULL,
  `score` varchar(16) NOT NULL,
  `comment` varchar(500) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_opinion_rating_once` (`opinion_id`,`round`,`stage`),
  KEY `idx_opinion_ratings_voter_id` (`voter_id`),
  KEY `idx_opinion_ratings_station_id` (`station_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `station_contacts` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `station_id` bigint(20) unsigned NOT NULL,
  `category_id` bigint(20) unsigned NOT NULL,
  `staff_id` bigint(20) unsigned NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_station_contact` (`station_id`,`category_id`),
  KEY `idx_station_contacts_staff_id` (`staff_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `staff_credentials` (
  `staff_id` bigint(20) unsigned NOT NULL,
  `failed_logins` bigint(20) NOT NULL DEFAULT 0,
  `fail_window_start` datetime(3) DEFAULT NULL,
  `locked_until` datetime(3) DEFAULT NULL,
  `last_login_at` datetime(3) DEFAULT NULL,
  `password_changed_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`staff_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `uploads` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `voter_id` bigint(20) unsigned NOT NULL,
  `path` varchar(255) NOT NULL,
  `sha256` varchar(64) NOT NULL,
  `content_type` varchar(32) NOT NULL,
  `size` bigint(20) NOT NULL,
  `width` bigint(20) NOT NULL,
  `height` bigint(20) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_uploads_path` (`path`),
  KEY `idx_uploads_voter_id` (`voter_id`),
  KEY `idx_uploads_sha256` (`sha256`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
