package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"deputylink/config"
	"deputylink/models"
	"deputylink/models/reviews"
)

// sealer builds the personal-data sealer from the data key (dataKey).
func (a *app) sealer() (*models.Sealer, error) {
	key, err := a.dataKey()
	if err != nil {
		return nil, err
	}
	return models.NewSealer(key)
}

// ballotKeyer builds the keyer of the reviews' ballots from the data key
// (reviews.NewKeyer derives its own key from it).
func (a *app) ballotKeyer() (*reviews.Keyer, error) {
	key, err := a.dataKey()
	if err != nil {
		return nil, err
	}
	return reviews.NewKeyer(key), nil
}

// dataKey is DEPUTYLINK_DATA_KEY or, when that is unset (the embedded
// default), the key file in the data directory, created on first start.
// Several processes starting at once agree on one key: the file is created
// exclusively and the losers read it.
func (a *app) dataKey() ([]byte, error) {
	if k := a.cfg.DataKey.Value(); k != "" {
		key, err := config.ParseDataKey(k)
		if err != nil {
			return nil, &config.Error{Var: "DEPUTYLINK_DATA_KEY", Msg: err.Error()}
		}
		return key, nil
	}
	path := filepath.Join(a.cfg.DataDir, "data.key")
	key, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKeyFile(path)
		if err == nil {
			a.log.Warn("Generated a new data key; back it up, or set DEPUTYLINK_DATA_KEY in production", "path", path)
		} else if errors.Is(err, fs.ErrExist) {
			key, err = readKeyFile(path) // another process won the race
		}
	}
	return key, err
}

func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := config.ParseDataKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("data key file %s: %w", path, err)
	}
	return key, nil
}

// createKeyFile writes a fresh key to a temporary file and links it into
// place, so a reader never sees a half-written key; the link fails with
// fs.ErrExist when another process got there first.
func createKeyFile(path string) ([]byte, error) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".data.key-*")
	if err != nil {
		return nil, fmt.Errorf("create data key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		return nil, fmt.Errorf("write data key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return nil, err
	}
	return key, nil
}
