#!/bin/sh
docker run -d -p 6379:6379 redis:7-alpine
docker run -d -p 10.0.0.5:5432:5432 postgres:15
cat > /opt/lago/key.pem <<KEY
-----BEGIN RSA PRIVATE KEY-----
MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu
-----END RSA PRIVATE KEY-----
KEY
