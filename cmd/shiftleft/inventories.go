package main

import (
	"path/filepath"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/internal/invcache"
	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/worker"
)

// inventories is the workers' inventory cache, in memory over the parsed
// SQL kept in dataDir/inventory, so that a restarted worker does not parse
// again. Without the store (it cannot be opened) the cache is in memory
// only: it saves work, the jobs do not need it. close, when not nil, writes
// what the store has pending.
func inventories(dataDir string, log *zap.Logger) (c *inventory.Cache, closeStore func() error) {
	version, err := invcache.ExecutableVersion()
	var store *invcache.Dir
	if err == nil {
		store, err = invcache.Open(filepath.Join(dataDir, "inventory"), version)
	}
	if err != nil {
		log.Warn("the inventory cache is in memory only", zap.Error(err))
		return inventory.NewCache(worker.DefaultInventoryCacheBytes, nil), nil
	}
	return inventory.NewCache(worker.DefaultInventoryCacheBytes, store), store.Close
}
