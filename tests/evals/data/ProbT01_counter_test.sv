`timescale 1 ps/1 ps
module stimulus_gen (input clk, output logic reset, output logic en);
  initial begin
    reset = 1; en = 0;
    @(negedge clk) reset = 0;
    repeat (60) @(negedge clk) begin
      reset = ($random & 15) == 0;
      en = $random;
    end
    #1 $finish;
  end
endmodule

module tb();
  int errors = 0;
  int clocks = 0;
  reg clk = 0;
  initial forever #5 clk = ~clk;
  logic reset, en;
  logic [3:0] q_ref, q_dut;
  stimulus_gen stim1 (.clk, .reset, .en);
  RefModule good1 (.clk, .reset, .en, .q(q_ref));
  TopModule top_module1 (.clk, .reset, .en, .q(q_dut));
  final begin
    $display("Hint: Output '%s' has %0d mismatches.", "q", errors);
    $display("Mismatches: %1d in %1d samples", errors, clocks);
  end
  always @(posedge clk, negedge clk) begin
    clocks++;
    if (q_ref !== (q_ref ^ q_dut ^ q_ref)) errors++;
  end
  initial begin
    #1000000
    $display("TIMEOUT");
    $finish();
  end
endmodule
