"""Fake secrets of every shape the redaction promises to catch.

Each is built by concatenation at run time, so no literal secret-shaped string sits in
the repository for a secret scanner to flag. ``MARKS`` are the parts of each planted
value that must never reach git: when one is found, its name says which shape leaked.
"""

from __future__ import annotations

_B62 = "Zq7Wm4Rt9Xk2Pv8Hd3Ns6Lb5Jc1Gf0Ty"


def _fill(n: int, salt: str) -> str:
    return (salt + _B62 * 4)[:n]


GITHUB = "ghp_" + _fill(36, "Gh")
STRIPE = "sk_" + "live_" + _fill(24, "St")
GOOGLE = "AI" + "za" + "Sy" + _fill(33, "Go")
NPM = "npm_" + _fill(36, "Np")
PYPI = "pypi-" + "AgEIcHlwaS5vcmc" + _fill(60, "Py")
PEM_BODY = "MIIEpAIBAAKCAQEA" + _fill(48, "Pm")
PEM = ("-----BEGIN " + "RSA PRIVATE KEY-----\n" + PEM_BODY + "\n" + _fill(40, "Pn")
       + "\n-----END " + "RSA PRIVATE KEY-----")
SLACK_PATH = "T0" + _fill(8, "Sl") + "/B0" + _fill(8, "Sm") + "/" + _fill(24, "Sn")
SLACK = "https://hooks.slack.com/" + "services/" + SLACK_PATH
S3_SIG = "5e1f" + "ab09cd87" * 7 + "ef65"  # 64 hex digits, the same shape as a sha256 digest
S3 = ("https://models.s3.amazonaws.com/m.pt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
      "&X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-Signature=" + S3_SIG)
AZURE_SIG = "AzSig" + _fill(30, "Az") + "%2B%3D"
AZURE = ("https://acct.blob.core.windows.net/data/train.csv?sv=2022-11-02&ss=b&srt=o&sp=r"
         "&se=2030-01-01T00:00:00Z&sig=" + AZURE_SIG)

# secrets with no recognisable shape: only their name gives them away
QUOTED_A, QUOTED_B = "QtdAlpha9", "QtdBeta7"  # --password 'QtdAlpha9 QtdBeta7'
API_HEAD, API_REST = "ApiHead5", "ApiRest3"  # '--api-key=ApiHead5 ApiRest3' (one argument)
PW_HEAD, PW_REST = "PwHead4", "PwRest8"  # note='password=PwHead4,PwRest8'
METRICS_VALUE = "MetricsVal6"  # {"api_key": "MetricsVal6"} in a metrics file
REMOTE_TOKEN = "RemoteTok2"  # ?private_token=RemoteTok2 in a remote URL
DIRECT_TOKEN = "DirectTok1"  # ?token=DirectTok1 in a direct_url.json
PASS_VALUE = "PassVal3"  # key "pass"
DB_PASS_VALUE = "DbPassVal5"  # key "DB_PASS"
DB_PASS_FLAG = "DbFlagVal7"  # --db-pass DbFlagVal7
JSON_PW = "JsonPwVal8"  # {"password": "JsonPwVal8"}
PG_PW = "PgPwVal4"  # PGPASSWORD=PgPwVal4

#: every shaped secret, as one line of text (how they appear inside messages and values)
SHAPED = {"github": GITHUB, "stripe": STRIPE, "google": GOOGLE, "npm": NPM, "pypi": PYPI,
          "pem": PEM, "slack": SLACK, "s3": S3, "azure": AZURE}
#: what must never be found: name -> the distinctive part of the planted value
MARKS = {
    "github": GITHUB[4:], "stripe": STRIPE[8:], "google": GOOGLE[4:], "npm": NPM[4:],
    "pypi": PYPI[20:], "pem-body": PEM_BODY, "slack": SLACK_PATH, "s3-signature": S3_SIG,
    "azure-sig": AZURE_SIG[:30], "quoted-a": QUOTED_A, "quoted-b": QUOTED_B,
    "api-head": API_HEAD, "api-rest": API_REST, "pw-head": PW_HEAD, "pw-rest": PW_REST,
    "metrics-value": METRICS_VALUE, "remote-token": REMOTE_TOKEN, "direct-token": DIRECT_TOKEN,
    "pass": PASS_VALUE, "db-pass": DB_PASS_VALUE, "db-pass-flag": DB_PASS_FLAG,
    "json-password": JSON_PW, "pgpassword": PG_PW,
}


def prose() -> str:
    """One message holding every shape and every named form."""
    return (" ".join(SHAPED.values()) + f' {{"password": "{JSON_PW}"}} PGPASSWORD={PG_PW}'
            f" --db-pass {DB_PASS_FLAG} --password '{QUOTED_A} {QUOTED_B}'"
            f" '--api-key={API_HEAD} {API_REST}' password={PW_HEAD},{PW_REST}")
