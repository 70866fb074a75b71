class ONNXModule: pass
class UnsupportedOperator(ValueError): pass
def load(path): pass
