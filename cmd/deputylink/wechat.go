package main

import (
	"fmt"

	"deputylink/wechat"
)

// wechatClient builds the WeChat client from the configuration, sharing the
// access tokens with the server through Redis (same keys, same prefix), so
// a command never invalidates the server's token.
func (a *app) wechatClient() (*wechat.Client, error) {
	c, err := wechat.New(wechat.Config{
		OAAppID:  a.cfg.OA.AppID,
		OASecret: a.cfg.OA.Secret.Value(),
		OAToken:  a.cfg.OA.Token.Value(),
		OAAESKey: a.cfg.OA.AESKey.Value(),
		MPAppID:  a.cfg.MP.AppID,
		MPSecret: a.cfg.MP.Secret.Value(),
		APIBase:  a.cfg.WeChatAPIBase,
		// Where the browser goes for web authorization (the fake in dev).
		AuthorizeBase: a.cfg.WeChatAuthorizeBase,
		// KeyPrefix must match the server's, or tokens are not shared.
		KeyPrefix: a.cfg.RedisPrefix,
	}, a.redis, a.log)
	if err != nil {
		return nil, fmt.Errorf("wechat client: %w", err)
	}
	return c, nil
}
