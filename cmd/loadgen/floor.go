package main

import (
	"context"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"deputylink/wechat"

	"github.com/gin-gonic/gin"
)

// envelope is a safe-mode push body.
type envelope struct {
	ToUserName string `xml:"ToUserName"`
	Encrypt    string `xml:"Encrypt"`
}

// floorCmd serves the protocol floor: what any correct push endpoint must do
// at least (read the body, check both signatures, decrypt, encrypt a reply),
// with no Redis, no database and no SDK server.
func floorCmd(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	addr := fs.String("addr", "127.0.0.1:18090", "listen address")
	token := fs.String("token", defaultToken, "push token")
	aesKey := fs.String("aes-key", defaultAESKey, "EncodingAESKey")
	appID := fs.String("appid", defaultAppID, "official account appid")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/healthz", func(c *gin.Context) { c.String(200, "ok") })
	r.POST("/wechat/official", floorHandler(*token, *aesKey, *appID))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintln(stdout, "floor listening on", ln.Addr())
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func floorHandler(token, aesKey, appID string) gin.HandlerFunc {
	reply := []byte("<xml><ToUserName><![CDATA[user]]></ToUserName><FromUserName><![CDATA[gh]]></FromUserName>" +
		"<CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[您好]]></Content></xml>")
	return func(c *gin.Context) {
		ts, nonce := c.Query("timestamp"), c.Query("nonce")
		if !wechat.VerifySignature(c.Query("signature"), token, ts, nonce) {
			c.AbortWithStatus(http.StatusForbidden)
			return
		}
		if t, err := strconv.ParseInt(ts, 10, 64); err != nil || abs(time.Now().Unix()-t) > 300 {
			c.AbortWithStatus(http.StatusForbidden)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10))
		if err != nil {
			c.AbortWithStatus(http.StatusRequestEntityTooLarge)
			return
		}
		var env envelope
		if err := xml.Unmarshal(body, &env); err != nil {
			c.String(200, "success")
			return
		}
		if !wechat.VerifySignature(c.Query("msg_signature"), token, ts, nonce, env.Encrypt) {
			c.AbortWithStatus(http.StatusForbidden)
			return
		}
		random, _, err := wechat.DecryptMsg(appID, env.Encrypt, aesKey)
		if err != nil {
			c.String(200, "success")
			return
		}
		enc, sig, err := wechat.EncryptReply(random, reply, appID, aesKey, token, ts, nonce)
		if err != nil {
			c.String(200, "success")
			return
		}
		c.Data(200, "application/xml; charset=utf-8", []byte("<xml><Encrypt><![CDATA["+enc+"]]></Encrypt><MsgSignature><![CDATA["+sig+
			"]]></MsgSignature><TimeStamp>"+ts+"</TimeStamp><Nonce><![CDATA["+nonce+"]]></Nonce></xml>"))
	}
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
