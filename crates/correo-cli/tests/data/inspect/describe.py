import sys, json, hashlib, email
from email import policy

def addrs(msg, name):
    h = msg.get(name)
    if h is None:
        return []
    return [{"name": a.display_name or None, "address": a.addr_spec} for a in h.addresses]

def part(p):
    ct = p.get('content-type')
    charset = None
    if ct is not None:
        charset = ct.params.get('charset')
    cte = p.get('content-transfer-encoding')
    d = {"content_type": p.get_content_type(), "charset": charset,
         "disposition": p.get_content_disposition(), "filename": p.get_filename(),
         "encoding": str(cte).strip().lower() if cte is not None else None, "parts": []}
    if p.is_multipart():
        d["parts"] = [part(c) for c in p.get_payload()]
    else:
        data = p.get_payload(decode=True) or b""
        d["size"] = len(data)
        d["sha256"] = hashlib.sha256(data).hexdigest()
        if p.get_content_maintype() == 'text':
            d["text"] = p.get_content()
    return d

def describe(raw):
    msg = email.message_from_bytes(raw, policy=policy.default)
    date = msg.get('date')
    dt = getattr(date, 'datetime', None) if date is not None else None
    mid = msg.get('message-id')
    return {"subject": str(msg['subject']) if msg.get('subject') is not None else None,
            "from": addrs(msg, 'from'), "to": addrs(msg, 'to'), "cc": addrs(msg, 'cc'),
            "date": dt.isoformat() if dt is not None else None,
            "message_id": str(mid).strip().strip('<>') if mid is not None else None,
            "root": part(msg)}

def diff(a, b, path="$"):
    if type(a) != type(b):
        return f"{path}: python {a!r} != correo {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: python {a.get(k)!r} != correo {b.get(k)!r}"
            d = diff(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: python has {len(a)} items, correo {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: python {a!r} != correo {b!r}"

# argv: pairs of (message file, correo json file); prints one line per pair: OK or the diff
ok = True
args = sys.argv[1:]
for i in range(0, len(args), 2):
    py = describe(open(args[i], 'rb').read())
    ours = json.load(open(args[i+1], encoding='utf-8'))
    if py != ours:
        ok = False
        print("MISMATCH", args[i])
        print("  first difference:", diff(py, ours))
    else:
        print("OK", args[i])
