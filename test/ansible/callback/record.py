# Records each task result as one JSON line in $RECORD_OUT: what the comparison tables compare.
import json, os
from ansible.plugins.callback import CallbackBase

class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'record'

    def _write(self, status, result):
        r = result._result
        line = {'task': result._task.get_name(), 'status': status}
        for key in ('msg', 'item', 'path', 'warnings'):
            if key in r:
                line[key] = r[key]
        with open(os.environ['RECORD_OUT'], 'a') as f:
            f.write(json.dumps(line, default=str) + '\n')

    def v2_runner_on_ok(self, result):
        self._write('changed' if result._result.get('changed') else 'ok', result)
    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write('ignored' if ignore_errors else 'failed', result)
    def v2_runner_on_skipped(self, result):
        self._write('skipped', result)
    def v2_runner_item_on_ok(self, result):
        self._write('item-changed' if result._result.get('changed') else 'item-ok', result)
    def v2_runner_item_on_failed(self, result):
        self._write('item-failed', result)
    def v2_runner_item_on_skipped(self, result):
        self._write('item-skipped', result)
    def v2_playbook_on_stats(self, stats):
        with open(os.environ['RECORD_OUT'], 'a') as f:
            f.write(json.dumps({'stats': {h: stats.summarize(h) for h in stats.processed}}) + '\n')
    def v2_playbook_on_play_start(self, play): pass
