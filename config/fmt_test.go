package config

import "fmt"

func sprintf(v any) string { return fmt.Sprintf("%v %+v", v, v) }
