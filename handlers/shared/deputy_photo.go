package shared

import (
	"path/filepath"
	"strconv"
)

// DeputyPhotoFile is where a deputy's photo uploaded on the console is
// kept (<DataDir>/deputies/<id>.jpg): the console writes it, the API
// serves it at models.DeputyPhotoPath.
func DeputyPhotoFile(dataDir string, id uint64) string {
	return filepath.Join(dataDir, "deputies", strconv.FormatUint(id, 10)+".jpg")
}
