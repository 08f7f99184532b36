package models

import "gorm.io/gorm"

// deputyProfile (step 6) adds what the office keeps of a deputy beyond the
// card: duties (职务), the public pledge (履职承诺), the term's dates, the
// other stations they serve (deputy_stations) and their constituency
// (deputy_constituencies, the communities that elected them). Every
// statement is skipped when done, so a run that stopped half way on MySQL
// runs again.
func deputyProfile(tx *gorm.DB) error {
	my := DialectOf(tx) == MySQL
	mig := tx.Migrator()
	type column struct{ name, sqlite, mysql string }
	for _, c := range []column{
		{"duties", `text NOT NULL DEFAULT ""`, "varchar(200) NOT NULL DEFAULT ''"},
		{"pledge", `text NOT NULL DEFAULT ""`, "varchar(500) NOT NULL DEFAULT ''"},
		{"term_start", `text NOT NULL DEFAULT ""`, "varchar(10) NOT NULL DEFAULT ''"},
		{"term_end", `text NOT NULL DEFAULT ""`, "varchar(10) NOT NULL DEFAULT ''"},
	} {
		if mig.HasColumn("deputies", c.name) {
			continue
		}
		def := c.sqlite
		if my {
			def = c.mysql
		}
		if err := tx.Exec("ALTER TABLE `deputies` ADD COLUMN `" + c.name + "` " + def).Error; err != nil {
			return err
		}
	}
	for _, j := range [][2]string{{"deputy_stations", "station_id"}, {"deputy_constituencies", "community_id"}} {
		q := "CREATE TABLE IF NOT EXISTS `" + j[0] + "` (`deputy_id` integer,`" + j[1] + "` integer,PRIMARY KEY (`deputy_id`,`" + j[1] + "`))"
		if my {
			q = "CREATE TABLE IF NOT EXISTS `" + j[0] + "` (\n" +
				"  `deputy_id` bigint(20) unsigned NOT NULL,\n" +
				"  `" + j[1] + "` bigint(20) unsigned NOT NULL,\n" +
				"  PRIMARY KEY (`deputy_id`,`" + j[1] + "`)\n" +
				") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
		}
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

func init() {
	addedAfterBaseline = append(addedAfterBaseline,
		"column deputies.duties ", "column deputies.pledge ", "column deputies.term_start ", "column deputies.term_end ",
		"column deputy_stations.", "column deputy_constituencies.")
}
