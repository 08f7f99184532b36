package models

import "gorm.io/gorm"

// reviews (step 10) creates the reviews (述职评议 and 代表评部门): the
// reviews and their subjects, the one-time ballot slips, the ballots with
// their marks and comments, and the paper ballots' counts
// (docs/ARCHITECTURE.md#reviews). Frozen DDL for each dialect; every
// statement is IF NOT EXISTS, so a run that stopped half way on MySQL runs
// again.
//
// On SQLite the three ballot tables are WITHOUT ROWID: an ordinary SQLite
// table numbers its rows in the order they were written, and that hidden
// counter would give away the order ballots were cast in, which the
// random ballot ids are there to hide. InnoDB (MySQL) keeps rows in the
// order of their primary key, the random id, already.
func reviewTables(tx *gorm.DB) error {
	stmts := reviewsSQLite
	if DialectOf(tx) == MySQL {
		stmts = reviewsMySQL
	}
	for _, s := range stmts {
		if err := tx.Exec(s).Error; err != nil {
			return err
		}
	}
	return nil
}

var reviewsSQLite = []string{
	"CREATE TABLE IF NOT EXISTS `reviews` (`id` integer PRIMARY KEY AUTOINCREMENT,`kind` text NOT NULL,`title` text NOT NULL,`level` text NOT NULL,`township` text NOT NULL DEFAULT \"\",`date` text NOT NULL,`place` text NOT NULL,`dimensions` text NOT NULL,`opens_at` datetime NOT NULL,`closes_at` datetime NOT NULL,`min_ballots` integer NOT NULL,`paper_ballots` integer NOT NULL DEFAULT 0,`closed_at` datetime,`created_by_staff_id` integer NOT NULL,`created_at` datetime,`updated_at` datetime)",
	"CREATE INDEX IF NOT EXISTS `idx_reviews_kind` ON `reviews`(`kind`)",
	"CREATE TABLE IF NOT EXISTS `review_subjects` (`review_id` integer,`subject_id` integer,`sort_order` integer NOT NULL DEFAULT 0,PRIMARY KEY (`review_id`,`subject_id`))",
	"CREATE INDEX IF NOT EXISTS `idx_review_subjects_subject_id` ON `review_subjects`(`subject_id`)",
	"CREATE TABLE IF NOT EXISTS `ballot_slips` (`id` integer PRIMARY KEY AUTOINCREMENT,`review_id` integer NOT NULL,`code` text NOT NULL,`used` numeric NOT NULL DEFAULT false)",
	"CREATE UNIQUE INDEX IF NOT EXISTS `idx_ballot_slips_code` ON `ballot_slips`(`code`)",
	"CREATE INDEX IF NOT EXISTS `idx_ballot_slips_review_id` ON `ballot_slips`(`review_id`)",
	"CREATE TABLE IF NOT EXISTS `ballots` (`id` text,`review_id` integer NOT NULL,`slip_id` integer,`voter_key` text NOT NULL,`cast_on` text NOT NULL,PRIMARY KEY (`id`)) WITHOUT ROWID",
	"CREATE UNIQUE INDEX IF NOT EXISTS `idx_ballot_voter` ON `ballots`(`review_id`,`voter_key`)",
	"CREATE UNIQUE INDEX IF NOT EXISTS `idx_ballots_slip_id` ON `ballots`(`slip_id`)",
	"CREATE TABLE IF NOT EXISTS `ballot_marks` (`ballot_id` text,`subject_id` integer,`dimension` integer,`rating` text NOT NULL,PRIMARY KEY (`ballot_id`,`subject_id`,`dimension`)) WITHOUT ROWID",
	"CREATE TABLE IF NOT EXISTS `ballot_comments` (`ballot_id` text,`subject_id` integer,`text` text NOT NULL,PRIMARY KEY (`ballot_id`,`subject_id`)) WITHOUT ROWID",
	"CREATE TABLE IF NOT EXISTS `review_paper_counts` (`review_id` integer,`subject_id` integer,`dimension` integer,`rating` text,`count` integer NOT NULL,PRIMARY KEY (`review_id`,`subject_id`,`dimension`,`rating`))",
}

var reviewsMySQL = []string{
	"CREATE TABLE IF NOT EXISTS `reviews` (\n" +
		"  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n" +
		"  `kind` varchar(16) NOT NULL,\n" +
		"  `title` varchar(100) NOT NULL,\n" +
		"  `level` varchar(16) NOT NULL,\n" +
		"  `township` varchar(50) NOT NULL DEFAULT '',\n" +
		"  `date` varchar(10) NOT NULL,\n" +
		"  `place` varchar(100) NOT NULL,\n" +
		"  `dimensions` varchar(500) NOT NULL,\n" +
		"  `opens_at` datetime(3) NOT NULL,\n" +
		"  `closes_at` datetime(3) NOT NULL,\n" +
		"  `min_ballots` bigint(20) NOT NULL,\n" +
		"  `paper_ballots` bigint(20) NOT NULL DEFAULT 0,\n" +
		"  `closed_at` datetime(3) DEFAULT NULL,\n" +
		"  `created_by_staff_id` bigint(20) unsigned NOT NULL,\n" +
		"  `created_at` datetime(3) DEFAULT NULL,\n" +
		"  `updated_at` datetime(3) DEFAULT NULL,\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  KEY `idx_reviews_kind` (`kind`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	"CREATE TABLE IF NOT EXISTS `review_subjects` (\n" +
		"  `review_id` bigint(20) unsigned NOT NULL,\n" +
		"  `subject_id` bigint(20) unsigned NOT NULL,\n" +
		"  `sort_order` bigint(20) NOT NULL DEFAULT 0,\n" +
		"  PRIMARY KEY (`review_id`,`subject_id`),\n" +
		"  KEY `idx_review_subjects_subject_id` (`subject_id`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	"CREATE TABLE IF NOT EXISTS `ballot_slips` (\n" +
		"  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n" +
		"  `review_id` bigint(20) unsigned NOT NULL,\n" +
		"  `code` varchar(32) NOT NULL,\n" +
		"  `used` tinyint(1) NOT NULL DEFAULT 0,\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  UNIQUE KEY `idx_ballot_slips_code` (`code`),\n" +
		"  KEY `idx_ballot_slips_review_id` (`review_id`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	"CREATE TABLE IF NOT EXISTS `ballots` (\n" +
		"  `id` varchar(32) NOT NULL,\n" +
		"  `review_id` bigint(20) unsigned NOT NULL,\n" +
		"  `slip_id` bigint(20) unsigned DEFAULT NULL,\n" +
		"  `voter_key` varchar(64) NOT NULL,\n" +
		"  `cast_on` varchar(10) NOT NULL,\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  UNIQUE KEY `idx_ballot_voter` (`review_id`,`voter_key`),\n" +
		"  UNIQUE KEY `idx_ballots_slip_id` (`slip_id`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	"CREATE TABLE IF NOT EXISTS `ballot_marks` (\n" +
		"  `ballot_id` varchar(32) NOT NULL,\n" +
		"  `subject_id` bigint(20) unsigned NOT NULL,\n" +
		"  `dimension` bigint(20) NOT NULL,\n" +
		"  `rating` varchar(12) NOT NULL,\n" +
		"  PRIMARY KEY (`ballot_id`,`subject_id`,`dimension`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	"CREATE TABLE IF NOT EXISTS `ballot_comments` (\n" +
		"  `ballot_id` varchar(32) NOT NULL,\n" +
		"  `subject_id` bigint(20) unsigned NOT NULL,\n" +
		"  `text` varchar(500) NOT NULL,\n" +
		"  PRIMARY KEY (`ballot_id`,`subject_id`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	"CREATE TABLE IF NOT EXISTS `review_paper_counts` (\n" +
		"  `review_id` bigint(20) unsigned NOT NULL,\n" +
		"  `subject_id` bigint(20) unsigned NOT NULL,\n" +
		"  `dimension` bigint(20) NOT NULL,\n" +
		"  `rating` varchar(12) NOT NULL,\n" +
		"  `count` bigint(20) NOT NULL,\n" +
		"  PRIMARY KEY (`review_id`,`subject_id`,`dimension`,`rating`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
}
