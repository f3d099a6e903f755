#!/usr/bin/env python3
"""Rebuilds the seed's Gmail multipart/mixed message (seeds/000, Ejercicio 4) with a real GIF.

The headers and the structure are the seed's, byte for byte; the base64 body of the GIF is
truncated in the seed, so it is replaced by ../noot-noot.gif encoded the way Gmail does
(76-column lines). Also writes ../seed-lab.mbox: the lab mailbox (mboxo, as Postfix's
local(8) writes it) with the seed's first message (asctime Date) and this one.
Run from this directory: python3 make_gmail.py
"""
import base64

gif = open("../noot-noot.gif", "rb").read()
b64 = base64.b64encode(gif).decode()
lines = "\n".join(b64[i:i + 76] for i in range(0, len(b64), 76))

msg = """From: LUIS DANIEL CASAIS MEZQUIDA <100429021@alumnos.uc3m.es>
Date: Sat, 23 Nov 2024 19:55:10 +0100
Subject: noot noot
To: 0429021@lab.it.uc3m.es
Content-Type: multipart/mixed; boundary="0000000000006dd7bc0627990dc1"
X-TM-AS-GCONF: 00
X-TM-AS-Product-Ver: IMSVA-9.1.0.1689-9.0.0.1006-28816.001
X-TM-AS-Result: No--3.949-5.0-31-10
X-imss-scan-details: No--3.949-5.0-31-10
X-TMASE-Version: IMSVA-9.1.0.1689-9.0.1006-28816.001
X-TMASE-Result: 10--3.949400-10.000000
X-TMASE-MatchedRID: LkeYFEC97tfdKephRYrhGinjDVPUYtjj7euC4Hkicftto7jS2jaQmcYW
        bVREZVDEOszJ/mD5RnyyjMAd3qWSjf+z7xWvCPyPL4+sB3yBscmBztcinfnHJ9a5uIySSCA++Bu
        o4Q3kVMolyItZ36xSGWRinB1Mnjd9lR1cT9YafQWY/fxzcM2LJNFTca7CU2+Xs2IXVKFKcibmVu
        Tu1vVZhBac8mCxN1yrZYIs926SF9q1yritD5b6J2uIyeoH4CMtJpLY3HDIakoVQlpmlaPvNk/Rq
        RHQEEIwaQ43mFiw/0F8rHemNtGCi1A6jbpidjgc4HnNasxswwbwxgalMhapDfDV0r0+ZABu7w5J
        DMW2E4M=
X-TMASE-SNAP-Result: 1.821001.0001-0-1-22:0,33:0,34:0-0

--0000000000006dd7bc0627990dc1
Content-Type: multipart/alternative; boundary="0000000000006dd7b90627990dbf"

--0000000000006dd7b90627990dbf
Content-Type: text/plain; charset="UTF-8"



--0000000000006dd7b90627990dbf
Content-Type: text/html; charset="UTF-8"

<div dir="ltr"><div class="gmail_default" style="font-family:georgia,serif"><br></div></div>

--0000000000006dd7b90627990dbf--
--0000000000006dd7bc0627990dc1
Content-Type: image/gif; name="noot-noot.gif"
Content-Disposition: attachment; filename="noot-noot.gif"
Content-Transfer-Encoding: base64
Content-ID: <f_m3uj5f1y0>
X-Attachment-Id: f_m3uj5f1y0

""" + lines + """
--0000000000006dd7bc0627990dc1--
"""
open("../gmail-noot-noot.eml", "w", newline="\n").write(msg)

first = """X-Original-To: 0429021@lab.it.uc3m.es
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=lab.it.uc3m.es;
        s=mail; t=1732387718;
        bh=rLSo3v+b1bqsJYKmkm4Zl3PsJTwW6qzTgaQZFouOqUs=;
        h=From:To:Cc:Date:Subject:From;
        b=bZC4VDQ+jTUYByXnJIchJnlMEYAntx5IkPM9l46HfNNzZm1KRwT5qZl9kUNT6BF1J
         TIcc2HVg0WBdrAH57hI+C6o2b/vW5Gc1y6VeKsh6T8019wa4fiv+bzoZjvCYpLYEmi
         UIOe/jyM0IQcPFRD7q0TOvFP8TW5KY1xgBWTQpzI=
From: feik@lab.it.uc3m.es
To: 0429021@lab.it.uc3m.es
Cc: admin@lab.it.uc3m.es
Date: Sat Nov 23 19:45:03 2024
Subject: Test mail

We've been trying to reach you about your car's extended warranty.
From now on, this line is quoted in the mailbox.
"""
mbox = ("From feik@lab.it.uc3m.es  Sat Nov 23 19:48:38 2024\n" + first.replace("\nFrom now", "\n>From now") + "\n"
        + "From 100429021@alumnos.uc3m.es  Sat Nov 23 19:56:02 2024\n" + msg + "\n")
open("../seed-lab.mbox", "w", newline="\n").write(mbox)
