from collections import Counter
import tests.test_ledger_stateful as m
C = Counter()
orig_book = m.LedgerMachine.book
def book(self, receipt):
    for n in ("RecordCredited","ViolationRecorded","AppealResolved","CreditExpired","AppealFiled"):
        C[n] += len(self.w.events(receipt, n))
    for e in self.w.events(receipt, "ViolationRecorded"):
        C["deducted0"] += e["args"]["deducted"] == 0
    for e in self.w.events(receipt, "AppealResolved"):
        C["overturn"] += e["args"]["overturned"]
    return orig_book(self, receipt)
m.LedgerMachine.book = book
import tests.ledger_flows as lf
orig = m.reverts
def rv(name, **kw):
    C["revert:"+name] += 1
    return orig(name, **kw)
m.reverts = rv
def test_probe(deployed):
    m.test_the_books_balance_under_random_operations(deployed)
    print(dict(C))
