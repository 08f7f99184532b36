package console

import "github.com/gin-gonic/gin"

// managePlacesPages registers the management of places and rules: stations, communities
// and their aliases, categories and deadlines, the (station, category)
// contact table, departments, the holiday calendar and reception rules.
func (h *Handlers) managePlacesPages(manage *gin.RouterGroup) {}
